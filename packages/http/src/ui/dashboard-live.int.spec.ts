import type { Page, Request, Route } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { call, startTestServer, type TestServer, wire } from "../server.spec-helper.js"
import { Session, SessionEvents } from "../sessions/api.js"
import { type Browser, buildDashboard, launchChromium } from "./browser.spec-helper.js"
import { type CuttableStreams, cuttableStreams } from "./cuttable-streams.spec-helper.js"

// The dashboard's live updates over the gateway's real event stream
// (`GET /api/v1/events:stream`, spec/EVENTS.md), in a real headless Chromium.
// The stream is dropped the way the gateway drops a reader that fell behind;
// the browser's reconnects are held back (and once refused) by Playwright,
// as a slow or flaky network would, and then go through to the real route;
// a silent stream is made by jumping the page's clock past its heartbeats.

const LIVE_MS = 6000
/** A held reconnect that is refused is tried again after a back-off (2 s, then 4 s…). */
const RETRY_MS = 10_000
const STREAM_PATH = "/api/v1/events:stream"

describe("the dashboard's live updates over the event stream", () => {
  let server: TestServer
  let streams: CuttableStreams
  let browser: Browser
  let page: Page
  let key = ""
  const requests: Array<Request> = []
  const consoleErrors: Array<{ readonly text: string; readonly url: string }> = []
  const pageErrors: Array<string> = []

  const path = (url: string) => {
    const parsed = new URL(url)
    return parsed.pathname + parsed.search
  }
  const streamOpens = () => requests.filter((request) => path(request.url()) === STREAM_PATH)
  const row = (sessionId: string) => page.locator(`tr[data-session-id="${sessionId}"]`)
  const liveMode = (mode: "stream" | "polling") => page.locator(`[data-live-mode="${mode}"]`).waitFor()
  /** A session made outside the page, as another user or a script would. */
  const createSession = async (name: string) =>
    wire(Session, await call(server, "POST", "/api/v1/sessions", { token: key, body: { name } })).sessionId
  /** The log position of the session's latest event: what the stream's `id:` carries for it. */
  const lastPosition = async (sessionId: string) => {
    const { events } = wire(SessionEvents, await call(server, "GET", `/api/v1/sessions/${sessionId}/events`, { token: key }))
    return Math.max(...events.map((event) => event.position))
  }

  /** Holds the page's next stream requests until the test lets each go on or refuses it. */
  const holdReconnects = async () => {
    const held: Array<Route> = []
    const pattern = `${server.baseUrl}${STREAM_PATH}`
    await page.route(pattern, (route) => void held.push(route))
    return {
      held,
      next: async (count: number) => {
        await expect.poll(() => held.length, { timeout: RETRY_MS }).toBe(count)
        const route = held[count - 1]
        if (route === undefined) throw new Error("no held reconnect")
        return route
      },
      release: async (route: Route) => {
        await route.continue()
        await page.unroute(pattern)
      }
    }
  }

  beforeAll(async () => {
    await buildDashboard()
    streams = cuttableStreams()
    server = await startTestServer({ gateway: streams.gateway })
    key = await server.apiKey("acme", ["read", "manage"])
    browser = await launchChromium()
    browser.context.on("request", (request) => requests.push(request))
    page = browser.context.pages()[0] ?? (await browser.context.newPage())
    page.setDefaultTimeout(LIVE_MS)
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push({ text: message.text(), url: message.location().url })
    })
    page.on("pageerror", (error) => pageErrors.push(error.message))
    await page.goto(`${server.baseUrl}/ui`)
    await page.fill("#token", key)
    await page.press("#token", "Enter")
    await page.getByRole("heading", { name: "Sessions" }).waitFor()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it("opens the real stream with the bearer header (the key in no URL) and says it is live", async () => {
    await liveMode("stream")
    const [opened, ...others] = streamOpens()
    expect(others).toEqual([])
    expect(opened?.headers()["authorization"]).toBe(`Bearer ${key}`)
    expect(opened?.headers()["accept"]).toBe("text/event-stream")
    expect(opened?.headers()["last-event-id"]).toBeUndefined()
    expect(requests.filter((request) => request.url().includes(key))).toEqual([])
    expect(server.subscribers()).toBe(1)
  })

  it("shows a session created elsewhere, without a reload", async () => {
    await page.evaluate("window.sameDocument = true")
    const sessionId = await createSession("made by a script")
    await row(sessionId).waitFor()
    expect(await page.evaluate("window.sameDocument")).toBe(true)
  })

  let firstId = ""
  let secondId = ""

  it("polls while the stream is down, retries a refused reconnect, and reconnects with the Last-Event-ID it heard", async () => {
    firstId = await createSession("heard live")
    await row(firstId).waitFor()
    const heard = await lastPosition(firstId)
    const reconnects = await holdReconnects()
    streams.cut()
    await liveMode("polling")
    const refused = await reconnects.next(1)
    expect(refused.request().headers()["last-event-id"]).toBe(String(heard))

    // With the stream down and its reconnect held, only polling can show this one.
    secondId = await createSession("made while the stream was down")
    await row(secondId).waitFor()

    await refused.abort("connectionreset")
    const retried = await reconnects.next(2)
    expect(retried.request().headers()["last-event-id"]).toBe(String(heard))
    expect(await page.locator('[data-live-mode="polling"]').count()).toBe(1)
    await reconnects.release(retried)
    await liveMode("stream")
    await expect.poll(() => server.subscribers(), { timeout: LIVE_MS }).toBe(1)
  })

  it("read the missed events from the log on the resumed stream: the next reconnect names the last of them", async () => {
    // The second session's events happened while no stream was open: the page knows their positions only from the resumed one.
    const missed = await lastPosition(secondId)
    expect(missed).toBeGreaterThan(await lastPosition(firstId))
    const reconnects = await holdReconnects()
    streams.cut()
    const reconnect = await reconnects.next(1)
    expect(reconnect.request().headers()["last-event-id"]).toBe(String(missed))
    await reconnects.release(reconnect)
    await liveMode("stream")
  })

  it("turns a row paired and connected when the simulated phone scans, over the stream", async () => {
    const sessionId = await createSession("scanned")
    expect((await call(server, "GET", `/api/v1/sessions/${sessionId}/qr`, { token: key })).status).toBe(200)
    await row(sessionId).locator('[data-status="pairing"]').waitFor()
    const scan = await call(server, "POST", `/simulator/v1/sessions/${sessionId}:scan`, {
      token: key,
      body: { phoneNumber: "628123456789", pushName: "Acme Support" }
    })
    expect(scan.status).toBe(200)
    await row(sessionId).locator('[data-status="paired"]').waitFor()
    await row(sessionId).locator('[data-connected="true"]').waitFor()
    expect(await page.locator('[data-live-mode="stream"]').count()).toBe(1)
    expect(await page.evaluate("window.sameDocument")).toBe(true)
  })

  it("takes a stream silent past its heartbeats for dead and reconnects with the Last-Event-ID it heard", async () => {
    // The page's clock from here on: time runs as usual until the test jumps it.
    await page.clock.install()
    await page.reload()
    await liveMode("stream")
    const opened = streamOpens().length
    const sessionId = await createSession("heard before the silence")
    await row(sessionId).waitFor()
    // 50 s pass for the page and not for the gateway, whose next heartbeat (every 15 s) is not due yet.
    await page.clock.fastForward("00:50")
    await expect.poll(() => streamOpens().length, { timeout: LIVE_MS }).toBe(opened + 1)
    expect(streamOpens().at(-1)?.headers()["last-event-id"]).toBe(String(await lastPosition(sessionId)))
    await liveMode("stream")
    await expect.poll(() => server.subscribers(), { timeout: LIVE_MS }).toBe(1)
  })

  it("closes the stream on sign-out", async () => {
    await page.getByRole("button", { name: "Sign out" }).click()
    await page.locator("#token").waitFor()
    await expect.poll(() => server.subscribers(), { timeout: LIVE_MS }).toBe(0)
  })

  it("logged no error in the browser but the refused reconnect", () => {
    expect(pageErrors).toEqual([])
    expect(consoleErrors.filter(({ text, url }) =>
      !(path(url) === STREAM_PATH && text.includes("net::ERR_CONNECTION_RESET")))).toEqual([])
  })
})
