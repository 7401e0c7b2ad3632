import { join } from "node:path"
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type ReceivedDelivery, type WebhookReceiver, webhookReceiver } from "@wa-gateway/testkit"
import { call, startTestServer, type TestServer, wire } from "../server.spec-helper.js"
import { Session } from "../sessions/api.js"
import { Webhook, WebhookList } from "../webhooks/api.js"
import { type Browser, buildDashboard, launchChromium, REPORTS_DIR } from "./browser.spec-helper.js"

// The webhooks pages in a real headless Chromium (dark mode) against a real
// server's webhook routes, delivering to a real local receiver that checks
// every signature with the secret the page showed.

const LIVE_MS = 6000
/** What a delivery may take to reach the receiver on a loaded machine. */
const DELIVERY_MS = 15_000

interface Sent {
  readonly method: string
  readonly path: string
  readonly body: unknown
}

const eventOf = (delivery: ReceivedDelivery): { readonly type: string; readonly sessionId: unknown } => {
  const payload = delivery.payload
  if (typeof payload !== "object" || payload === null || !("type" in payload) || typeof payload.type !== "string") return { type: "", sessionId: undefined }
  const data = "data" in payload && typeof payload.data === "object" && payload.data !== null ? payload.data : {}
  return { type: payload.type, sessionId: "sessionId" in data ? data.sessionId : undefined }
}

describe("the dashboard's webhooks pages against the real routes", () => {
  let server: TestServer
  let receiver: WebhookReceiver
  let browser: Browser
  let page: Page
  let key = ""
  let webhookId = ""
  let secret = ""
  const sent: Array<Sent> = []
  const consoleErrors: Array<string> = []

  const delivered = (type: string, sessionId?: string) => (d: ReceivedDelivery) =>
    eventOf(d).type === type && (sessionId === undefined || eventOf(d).sessionId === sessionId)
  const createSession = async (name: string) =>
    wire(Session, await call(server, "POST", "/api/v1/sessions", { token: key, body: { name } })).sessionId
  const fetchWebhook = async () => wire(Webhook, await call(server, "GET", `/api/v1/webhooks/${webhookId}`, { token: key }))
  const deliveryRows = (type: string, status: string) => page.locator(`tr[data-event-type="${type}"][data-delivery-status="${status}"]`)

  beforeAll(async () => {
    await buildDashboard()
    server = await startTestServer()
    receiver = await webhookReceiver()
    key = await server.apiKey("acme", ["read", "manage"])
    browser = await launchChromium({ colorScheme: "dark" })
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.baseUrl })
    browser.context.on("request", (request) => {
      const url = new URL(request.url())
      if (!url.pathname.startsWith("/api/v1/webhooks") || request.method() === "GET") return
      const text = request.postData()
      sent.push({ method: request.method(), path: url.pathname, body: text === null ? undefined : JSON.parse(text) })
    })
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
    await receiver?.close()
    await server?.close()
  })

  it("lists none, refuses a URL the API would refuse before sending it, creates one and shows its secret once, with a copy button", async () => {
    await page.getByRole("link", { name: "Webhooks" }).click()
    await page.getByText("No webhooks yet.").waitFor()
    await page.fill("#webhook-url", "ftp://example.com/hook")
    await page.getByRole("button", { name: "Create webhook" }).click()
    await page.getByText("The URL must start with http:// or https://.").waitFor()
    expect(sent).toEqual([])

    await page.fill("#webhook-url", receiver.url)
    await page.fill("#webhook-description", "crm")
    await page.getByRole("button", { name: "Create webhook" }).click()
    const shown = page.locator("[data-secret]")
    await shown.waitFor()
    secret = (await shown.textContent()) ?? ""
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    receiver.setSecret(secret)
    expect(sent).toEqual([{
      method: "POST",
      path: "/api/v1/webhooks",
      body: {
        url: receiver.url,
        events: ["session.created", "session.pairing_started", "session.paired", "session.pairing_failed", "session.logged_out", "session.deleted", "session.connected", "session.disconnected"],
        description: "crm"
      }
    }])
    await page.getByRole("button", { name: "Copy secret" }).click()
    await page.getByText("Copied.").waitFor()
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(secret)

    const { webhooks } = wire(WebhookList, await call(server, "GET", "/api/v1/webhooks", { token: key }))
    expect(webhooks.map((webhook) => [webhook.url, webhook.description, webhook.enabled])).toEqual([[receiver.url, "crm", true]])
    webhookId = webhooks[0]?.webhookId ?? ""
    await page.locator(`tr[data-webhook-id="${webhookId}"]`).getByText("enabled", { exact: true }).waitFor()
    await page.screenshot({ path: join(REPORTS_DIR, "webhooks-secret-dark.png"), fullPage: true })

    await page.getByRole("button", { name: "I have stored it" }).click()
    await shown.waitFor({ state: "detached" })
    expect(await page.content()).not.toContain(secret)
    await page.reload()
    await page.locator(`tr[data-webhook-id="${webhookId}"]`).waitFor()
    expect(await page.content()).not.toContain(secret)
  })

  it("disables and enables it, as the API then says", async () => {
    const row = page.locator(`tr[data-webhook-id="${webhookId}"]`)
    await row.getByRole("button", { name: "Disable" }).click()
    await row.getByText("disabled", { exact: true }).waitFor()
    expect((await fetchWebhook()).enabled).toBe(false)
    await row.getByRole("button", { name: "Enable" }).click()
    await row.getByText("enabled", { exact: true }).waitFor()
    expect((await fetchWebhook()).enabled).toBe(true)
    expect(sent.filter((s) => s.method === "PATCH")).toEqual([
      { method: "PATCH", path: `/api/v1/webhooks/${webhookId}`, body: { enabled: false } },
      { method: "PATCH", path: `/api/v1/webhooks/${webhookId}`, body: { enabled: true } }
    ])
  })

  it("shows a session's event delivered, signed, as succeeded; and a test event from its button", async () => {
    const sessionId = await createSession("for the receiver")
    const [arrived] = (await receiver.waitFor((ds) => ds.some(delivered("session.created", sessionId)), DELIVERY_MS))
      .filter(delivered("session.created", sessionId))
    expect(arrived?.verified).toBe(true)

    await page.locator(`tr[data-webhook-id="${webhookId}"]`).getByRole("link").click()
    await page.getByRole("heading", { name: receiver.url }).waitFor()
    const created = deliveryRows("session.created", "succeeded")
    await created.waitFor()
    expect(await created.locator('[data-label="Last answer"]').textContent()).toBe("204")

    await page.getByRole("button", { name: "Send a test event" }).click()
    await page.getByText("Test event sent.").waitFor()
    const [test] = (await receiver.waitFor((ds) => ds.some(delivered("webhook.test")), DELIVERY_MS)).filter(delivered("webhook.test"))
    expect(test?.verified).toBe(true)
    // Queued before the 202: the page shows it at once, pending or done, and follows it until it is done.
    await deliveryRows("webhook.test", "succeeded").waitFor({ timeout: DELIVERY_MS })
    expect(await deliveryRows("webhook.test", "succeeded").getByRole("button", { name: "Replay from here" }).count()).toBe(0)
  })

  it("shows a delivery the receiver refused with 410 as failed and the webhook disabled; replays it, signed with the same webhook-id", async () => {
    receiver.answerGone(true)
    const sessionId = await createSession("refused")
    const [refused] = (await receiver.waitFor((ds) => ds.some(delivered("session.created", sessionId)), DELIVERY_MS))
      .filter(delivered("session.created", sessionId))
    expect(refused?.status).toBe(410)
    receiver.answerGone(false)

    const failed = deliveryRows("session.created", "failed")
    await failed.waitFor({ timeout: DELIVERY_MS })
    expect(await failed.locator('[data-label="Last answer"]').textContent()).toContain("410")
    await page.locator('.page-head').getByText("disabled", { exact: true }).waitFor()
    expect((await fetchWebhook()).enabled).toBe(false)

    await page.selectOption("#delivery-filter", "failed")
    await deliveryRows("session.created", "succeeded").waitFor({ state: "detached" })
    expect(await page.locator("tr[data-delivery-id]").count()).toBe(1)
    await page.selectOption("#delivery-filter", "all")
    await deliveryRows("session.created", "succeeded").waitFor()

    await page.locator('.page-head').getByRole("button", { name: "Enable" }).click()
    await page.locator('.page-head').getByText("enabled", { exact: true }).waitFor()
    const position = Number(await failed.locator('[data-label="Position"]').textContent())
    await failed.getByRole("button", { name: "Replay from here" }).click()
    await page.getByText(`Replay from position ${position} queued.`).waitFor()
    expect(sent.at(-1)).toEqual({ method: "POST", path: `/api/v1/webhooks/${webhookId}:replay`, body: { fromPosition: position } })
    const again = (await receiver.waitFor((ds) => ds.filter(delivered("session.created", sessionId)).length === 2, DELIVERY_MS))
      .filter(delivered("session.created", sessionId))
    expect(again.map((d) => [d.messageId, d.status, d.verified])).toEqual([
      [refused?.messageId, 410, true],
      [refused?.messageId, 204, true]
    ])
    // The replay is a new delivery beside the failed one.
    await page.getByRole("button", { name: "Refresh" }).click()
    await deliveryRows("session.created", "succeeded").nth(1).waitFor({ timeout: DELIVERY_MS })
    expect(await deliveryRows("session.created", "failed").count()).toBe(1)

    const replays = () => sent.filter((s) => s.path.endsWith(":replay")).length
    const before = replays()
    await page.fill("#replay-from", "-1")
    await page.getByRole("button", { name: "Replay", exact: true }).click()
    await page.getByText("A log position is a whole number, 0 or more.").waitFor()
    expect(replays()).toBe(before)
    await page.screenshot({ path: join(REPORTS_DIR, "webhook-deliveries-dark.png"), fullPage: true })
  })

  it("fits a 375 px wide screen, deliveries and list", async () => {
    await page.setViewportSize({ width: 375, height: 800 })
    await deliveryRows("webhook.test", "succeeded").waitFor()
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375)
    await page.getByRole("link", { name: "← Webhooks" }).click()
    await page.locator(`tr[data-webhook-id="${webhookId}"]`).waitFor()
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375)
    await page.screenshot({ path: join(REPORTS_DIR, "webhooks-375-dark.png"), fullPage: true })
    await page.setViewportSize({ width: 1280, height: 800 })
  })

  it("logged no error in the browser", () => {
    expect(consoleErrors).toEqual([])
  })
})
