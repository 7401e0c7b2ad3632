import { join } from "node:path"
import { HttpApiBuilder, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Queue, Stream } from "effect"
import type { Page, Route } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Unauthorized } from "../errors.js"
import { call, startTestServer, type TestServer, wire } from "../server.spec-helper.js"
import { Session } from "../sessions/api.js"
import { type Browser, buildDashboard, launchChromium, REPORTS_DIR } from "./browser.spec-helper.js"

// The parts of the dashboard built against spec/EVENTS.md before its routes
// are on main: the event stream is stood in for by a route of this test on
// the real server, the webhook routes by Playwright answering for them. Both
// speak the contract's shapes, so the page needs no change when the real
// routes land.

const LIVE_MS = 6000

/** The event stream's connections, newest last; a test writes frames to them or ends them. */
interface StreamConnection {
  readonly lastEventId: string | undefined
  readonly frames: Queue.Queue<string>
}

const fakeEventStream = (connections: Array<StreamConnection>, key: () => string) =>
  HttpApiBuilder.Router.use((router) =>
    // `::` is a literal colon for the router (DESIGN §9).
    router.get("/api/v1/events::stream", Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      if (request.headers["authorization"] !== `Bearer ${key()}`) {
        return yield* Effect.fail(new Unauthorized({ message: "missing or unknown token", details: {} }))
      }
      const frames = yield* Queue.unbounded<string>()
      yield* Queue.offer(frames, ": connected\n\n")
      connections.push({ lastEventId: request.headers["last-event-id"], frames })
      return HttpServerResponse.stream(Stream.fromQueue(frames).pipe(Stream.encodeText), {
        contentType: "text/event-stream",
        headers: { "cache-control": "no-store" }
      })
    })))

const frame = (id: number, type: string, data: Record<string, unknown>) =>
  `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify({ type, timestamp: new Date().toISOString(), data })}\n\n`

describe("the dashboard against the events contract (EVENTS.md)", () => {
  let server: TestServer
  let browser: Browser
  let page: Page
  let key = ""
  const connections: Array<StreamConnection> = []
  const requests: Array<{ readonly method: string; readonly url: string; readonly headers: Record<string, string> }> = []
  const consoleErrors: Array<string> = []

  const path = (url: string) => {
    const parsed = new URL(url)
    return parsed.pathname + parsed.search
  }
  const listCalls = () => requests.filter((request) => path(request.url).startsWith("/api/v1/sessions?")).length
  const latestConnection = () => {
    const connection = connections.at(-1)
    if (connection === undefined) throw new Error("the page never opened the event stream")
    return connection
  }

  beforeAll(async () => {
    await buildDashboard()
    server = await startTestServer({ routes: fakeEventStream(connections, () => key) })
    key = await server.apiKey("acme", ["read", "manage"])
    browser = await launchChromium({ colorScheme: "dark" })
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.baseUrl })
    browser.context.on("request", (request) => requests.push({ method: request.method(), url: request.url(), headers: request.headers() }))
    page = browser.context.pages()[0] ?? (await browser.context.newPage())
    page.setDefaultTimeout(LIVE_MS)
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(`${message.text()} ${message.location().url}`)
    })
    page.on("pageerror", (error) => consoleErrors.push(error.message))
    await page.goto(`${server.baseUrl}/ui`)
    await page.fill("#token", key)
    await page.press("#token", "Enter")
    await page.getByRole("heading", { name: "Sessions" }).waitFor()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  describe("live updates over the event stream", () => {
    it("use the stream when the route answers 200 text/event-stream, with the bearer header, and stop polling", async () => {
      await page.locator('[data-live-mode="stream"]').waitFor()
      const opened = requests.find((request) => path(request.url) === "/api/v1/events:stream")
      expect(opened?.headers["authorization"]).toBe(`Bearer ${key}`)
      expect(opened?.headers["accept"]).toBe("text/event-stream")
      const before = listCalls()
      await page.waitForTimeout(2500) // longer than a poll
      expect(listCalls()).toBe(before)
    })

    it("reload the sessions when an event arrives", async () => {
      const created = await call(server, "POST", "/api/v1/sessions", { token: key, body: { name: "from the stream" } })
      const { sessionId } = wire(Session, created)
      await Effect.runPromise(
        Queue.offer(latestConnection().frames, frame(7, "session.created", { sessionId, orgId: "acme", status: "unpaired", connected: false, version: 1, name: "from the stream" }))
      )
      await page.locator(`tr[data-session-id="${sessionId}"]`).waitFor()
    })

    it("fall back to polling when the stream breaks, and reconnect with Last-Event-ID", async () => {
      const count = connections.length
      await Effect.runPromise(Queue.shutdown(latestConnection().frames))
      await expect.poll(() => connections.length, { timeout: LIVE_MS }).toBe(count + 1)
      expect(latestConnection().lastEventId).toBe("7")
      await page.locator('[data-live-mode="stream"]').waitFor()
    })
  })

  describe("webhooks (the routes answered by Playwright, in the contract's shapes)", () => {
    const SECRET = "whsec_c2VjcmV0LXNob3duLW9ubHktb25jZS1mb3ItdGhpcy10ZXN0"
    const webhooks: Array<Record<string, unknown>> = []
    const bodies: Array<{ readonly method: string; readonly path: string; readonly body: unknown }> = []
    const at = "2026-12-01T10:00:00.000Z"
    const deliveries = [
      { deliveryId: "dlv_1", eventType: "session.paired", position: 12, status: "failed", attempts: 8, lastStatusCode: 500, lastError: "HTTP 500", nextAttemptAt: null, createdAt: at, updatedAt: at },
      { deliveryId: "dlv_2", eventType: "session.created", position: 10, status: "succeeded", attempts: 1, lastStatusCode: 204, lastError: null, nextAttemptAt: null, createdAt: at, updatedAt: at },
      { deliveryId: "dlv_3", eventType: "session.connected", position: null, status: "pending", attempts: 1, lastStatusCode: null, lastError: "timeout", nextAttemptAt: at, createdAt: at, updatedAt: at }
    ]

    const json = (route: Route, status: number, body?: unknown) =>
      route.fulfill(body === undefined ? { status } : { status, contentType: "application/json", body: JSON.stringify(body) })

    const answer = async (route: Route) => {
      const request = route.request()
      const url = new URL(request.url())
      const body: unknown = request.postData() === null ? undefined : JSON.parse(request.postData() ?? "")
      bodies.push({ method: request.method(), path: url.pathname + url.search, body })
      const one = /^\/api\/v1\/webhooks\/([^/:]+)(.*)$/.exec(url.pathname)
      if (one === null) {
        if (request.method() === "GET") return json(route, 200, { webhooks, nextPageToken: null })
        const fields = typeof body === "object" && body !== null ? body : {}
        const webhook = { webhookId: "wh_1", sessionIds: null, description: null, enabled: true, createdAt: at, updatedAt: at, ...fields }
        webhooks.unshift(webhook)
        return json(route, 201, { ...webhook, secret: SECRET })
      }
      const webhook = webhooks.find((candidate) => candidate["webhookId"] === one[1])
      if (webhook === undefined) return json(route, 404, { error: { code: "not_found", message: "webhook not found", details: {} } })
      const rest = one[2]
      if (rest === "" && request.method() === "PATCH") return json(route, 200, Object.assign(webhook, body))
      if (rest === "") return json(route, 200, webhook)
      if (rest === "/deliveries") {
        const status = url.searchParams.get("status")
        return json(route, 200, { deliveries: deliveries.filter((d) => status === null || d.status === status), nextPageToken: null })
      }
      return json(route, 202)
    }

    beforeAll(() => page.route("**/api/v1/webhooks**", answer))

    it("lists none, then creates one and shows its secret once, with a copy button", async () => {
      await page.getByRole("link", { name: "Webhooks" }).click()
      await page.getByText("No webhooks yet.").waitFor()
      await page.fill("#webhook-url", "ftp://example.com/hook")
      await page.getByRole("button", { name: "Create webhook" }).click()
      await page.getByText("The URL must start with http:// or https://.").waitFor()
      expect(bodies.filter((b) => b.method === "POST")).toEqual([])

      await page.fill("#webhook-url", "https://example.com/hooks/wa")
      await page.getByLabel("session.deleted").uncheck()
      await page.getByRole("button", { name: "Create webhook" }).click()
      await page.locator("[data-secret]").getByText(SECRET).waitFor()
      expect(bodies.find((b) => b.method === "POST")?.body).toEqual({
        url: "https://example.com/hooks/wa",
        events: ["session.created", "session.pairing_started", "session.paired", "session.pairing_failed", "session.logged_out", "session.connected", "session.disconnected"]
      })
      await page.getByRole("button", { name: "Copy secret" }).click()
      expect(await page.evaluate("navigator.clipboard.readText()")).toBe(SECRET)
      await page.locator('tr[data-webhook-id="wh_1"]').waitFor()
      await page.screenshot({ path: join(REPORTS_DIR, "webhooks-secret-dark.png"), fullPage: true })

      await page.getByRole("button", { name: "I have stored it" }).click()
      expect(await page.content()).not.toContain(SECRET)
    })

    it("disables and enables it", async () => {
      const row = page.locator('tr[data-webhook-id="wh_1"]')
      await row.getByRole("button", { name: "Disable" }).click()
      await row.getByText("disabled", { exact: true }).waitFor()
      expect(bodies).toContainEqual({ method: "PATCH", path: "/api/v1/webhooks/wh_1", body: { enabled: false } })
      await row.getByRole("button", { name: "Enable" }).click()
      await row.getByText("enabled", { exact: true }).waitFor()
      expect(bodies).toContainEqual({ method: "PATCH", path: "/api/v1/webhooks/wh_1", body: { enabled: true } })
    })

    it("shows its deliveries with their status, filters them, and replays from a position", async () => {
      await page.locator('tr[data-webhook-id="wh_1"]').getByRole("link").click()
      await page.locator('tr[data-delivery-id="dlv_3"]').waitFor()
      expect(await page.locator("tr[data-delivery-id]").count()).toBe(3)
      await page.selectOption("#delivery-filter", "failed")
      await page.locator('tr[data-delivery-id="dlv_2"]').waitFor({ state: "detached" })
      expect(bodies.at(-1)?.path).toBe("/api/v1/webhooks/wh_1/deliveries?pageSize=100&status=failed")
      await page.locator('tr[data-delivery-id="dlv_1"]').getByText("HTTP 500").waitFor()

      await page.locator('tr[data-delivery-id="dlv_1"]').getByRole("button", { name: "Replay from here" }).click()
      await page.getByText("Replay from position 12 queued.").waitFor()
      expect(bodies.find((b) => b.path === "/api/v1/webhooks/wh_1:replay")?.body).toEqual({ fromPosition: 12 })

      const replays = () => bodies.filter((b) => b.path.endsWith(":replay")).length
      const before = replays()
      await page.fill("#replay-from", "-1")
      await page.getByRole("button", { name: "Replay", exact: true }).click()
      await page.getByText("A log position is a whole number, 0 or more.").waitFor()
      expect(replays()).toBe(before)
      await page.screenshot({ path: join(REPORTS_DIR, "webhook-deliveries-dark.png"), fullPage: true })
    })
  })

  it("logged no error in the browser", () => {
    expect(consoleErrors).toEqual([])
  })
})
