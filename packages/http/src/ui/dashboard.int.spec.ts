import { join } from "node:path"
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { call, startTestServer, type TestServer } from "../server.spec-helper.js"
import { type Browser, buildDashboard, launchChromium, REPORTS_DIR } from "./browser.spec-helper.js"

// The dashboard in a real headless Chromium against a real server (simulator
// engine, QR rotating every 1.5 s, live updates over its event stream). The steps run in order on one page, as a
// person would use it: each `it` starts where the previous one left off.

const QR_ROTATION_MS = 1500
/** What "updates live" may take, with room for a loaded machine. */
const LIVE_MS = 6000

interface ConsoleError {
  readonly text: string
  readonly url: string
}

describe("the dashboard in a browser", () => {
  let server: TestServer
  let browser: Browser
  let page: Page
  let key: string
  let sessionId: string
  /** The first QR's blob URL, probed by the test after the page revoked it. */
  let revokedQrUrl = ""
  const requests: Array<string> = []
  const streamRequests: Array<{ readonly path: string; readonly headers: Record<string, string> }> = []
  const consoleErrors: Array<ConsoleError> = []
  const pageErrors: Array<string> = []

  const path = (url: string) => {
    const parsed = new URL(url)
    return parsed.pathname + parsed.search
  }
  const row = () => page.locator(`tr[data-session-id="${sessionId}"]`)
  /** SHA-256 of the pixels the QR image shows (drawn on a canvas: the page's CSP lets no script fetch a blob: URL). */
  const shownQrDigest = () =>
    page.evaluate(`(async () => {
      const image = document.querySelector("img.qr")
      const canvas = document.createElement("canvas")
      canvas.width = image.naturalWidth
      canvas.height = image.naturalHeight
      const context = canvas.getContext("2d")
      context.drawImage(image, 0, 0)
      const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data
      return [...new Uint8Array(await crypto.subtle.digest("SHA-256", pixels))].map((b) => b.toString(16).padStart(2, "0")).join("")
    })()`)
  /** Whether an image still loads from this blob URL (it does not once revoked). */
  const blobLoads = (url: string) =>
    page.evaluate(`new Promise((resolve) => {
      const probe = new Image()
      probe.onload = () => resolve(true)
      probe.onerror = () => resolve(false)
      probe.src = ${JSON.stringify(url)}
    })`)
  const sessionStatus = async () => (await call(server, "GET", `/api/v1/sessions/${sessionId}`, { token: key })).status

  beforeAll(async () => {
    await buildDashboard()
    server = await startTestServer({ simulator: { qrRotationMs: QR_ROTATION_MS } })
    key = await server.apiKey("acme", ["read", "manage"])
    browser = await launchChromium()
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.baseUrl })
    browser.context.on("request", (request) => {
      requests.push(request.url())
      if (new URL(request.url()).pathname === "/api/v1/events:stream") streamRequests.push({ path: path(request.url()), headers: request.headers() })
    })
    page = browser.context.pages()[0] ?? (await browser.context.newPage())
    page.setDefaultTimeout(LIVE_MS)
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push({ text: message.text(), url: message.location().url })
    })
    page.on("pageerror", (error) => pageErrors.push(error.message))
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it("refuses a wrong key and says so, keeping nothing", async () => {
    await page.goto(`${server.baseUrl}/ui`)
    await page.fill("#token", "wag_not-a-key-of-this-gateway")
    await page.press("#token", "Enter")
    await page.getByText("The gateway did not accept this key or token").waitFor()
    expect(await page.evaluate("sessionStorage.length")).toBe(0)
    expect(await page.locator("h1").textContent()).toBe("wa-gateway")
  })

  it("signs in with an API key, kept in sessionStorage only (no cookie, not in the URL)", async () => {
    await page.fill("#token", key)
    await page.press("#token", "Enter")
    await page.getByRole("heading", { name: "Sessions" }).waitFor()
    expect(await page.evaluate("sessionStorage.getItem('wa-gateway.token')")).toBe(key)
    expect(await page.evaluate("document.cookie")).toBe("")
    expect(requests.some((url) => url.includes(key))).toBe(false)
    expect(await page.getByText("No sessions yet").isVisible()).toBe(true)
    // Live updates come over the event stream, which gets the key in a header too.
    await page.locator('[data-live-mode="stream"]').waitFor()
    const stream = streamRequests.at(0)
    expect(stream?.headers["authorization"]).toBe(`Bearer ${key}`)
    expect(stream?.path).toBe("/api/v1/events:stream")
  })

  it("creates a session and opens its page", async () => {
    await page.fill("#new-session-name", "support line")
    await page.getByRole("button", { name: "Create session" }).click()
    await page.getByRole("heading", { name: "support line" }).waitFor()
    sessionId = (await page.locator("section[data-session-id]").getAttribute("data-session-id")) ?? ""
    expect(sessionId).toMatch(/^sess_[0-9A-Z]{26}$/)
    expect(page.url()).toBe(`${server.baseUrl}/ui#/sessions/${sessionId}`)
    expect(await sessionStatus()).toBe(200)
  })

  it("shows the QR as an image fetched with the bearer header, and replaces it when the QR rotates", async () => {
    const first = page.waitForResponse((response) => path(response.url()) === `/api/v1/sessions/${sessionId}/qr`)
    await page.getByRole("button", { name: "Show QR code" }).click()
    const firstQr = await first
    expect(firstQr.request().headers()["authorization"]).toBe(`Bearer ${key}`)
    expect(firstQr.headers()["content-type"]).toBe("image/png")
    const image = page.locator("img.qr")
    await image.waitFor()
    const firstSrc = await image.getAttribute("src")
    expect(firstSrc).toMatch(/^blob:/)
    // Polled from here: the page's CSP refuses the eval that waitForFunction would need.
    await expect.poll(() => page.evaluate("document.querySelector('img.qr')?.naturalWidth ?? 0"), { timeout: LIVE_MS }).toBe(300)
    const firstDigest = await shownQrDigest()
    await page.locator('[data-status="pairing"]').first().waitFor()
    await page.screenshot({ path: join(REPORTS_DIR, "qr-page.png"), fullPage: true })

    await expect.poll(() => image.getAttribute("src"), { timeout: LIVE_MS }).not.toBe(firstSrc)
    expect(await shownQrDigest()).not.toBe(firstDigest)
    // The old image's blob URL is released, not leaked.
    revokedQrUrl = firstSrc ?? ""
    expect(await blobLoads(revokedQrUrl)).toBe(false)
  })

  it("turns the row paired and connected without a reload when the phone scans", async () => {
    await page.evaluate("window.sameDocument = true")
    await page.getByRole("link", { name: "Sessions", exact: true }).click()
    await row().locator('[data-status="pairing"]').waitFor()
    // The phone acts from outside the page, as a real one would.
    const scan = await call(server, "POST", `/simulator/v1/sessions/${sessionId}:scan`, {
      token: key,
      body: { phoneNumber: "628123456789", pushName: "Acme Support" }
    })
    expect(scan.status).toBe(200)
    await row().locator('[data-status="paired"]').waitFor()
    await row().locator('[data-connected="true"]').waitFor()
    expect(await row().locator('[data-col="phone"]').textContent()).toBe("628123456789")
    expect(await row().locator('[data-col="push-name"]').textContent()).toBe("Acme Support")
    expect(await page.evaluate("window.sameDocument")).toBe(true)
    expect(await page.locator('[data-live-mode="stream"]').count()).toBe(1) // heard on the stream, not polled
    await page.screenshot({ path: join(REPORTS_DIR, "sessions.png"), fullPage: true })
  })

  it("fits a 375 px wide screen", async () => {
    await page.setViewportSize({ width: 375, height: 800 })
    await row().locator('[data-status="paired"]').waitFor()
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375)
    await page.screenshot({ path: join(REPORTS_DIR, "sessions-375.png"), fullPage: true })
    await page.setViewportSize({ width: 1280, height: 800 })
  })

  it("shows the identity (/me) once paired, no QR, and logs out", async () => {
    await row().getByRole("link").click()
    await page.locator('[data-field="pushName"]').getByText("Acme Support").waitFor()
    expect(await page.locator("img.qr").count()).toBe(0)
    await page.getByRole("button", { name: "Log out" }).click()
    await page.locator('.page-head [data-status="logged_out"]').waitFor()
  })

  it("requests a pairing code, checking the phone as the API does, and the simulated phone enters it", async () => {
    const phone = page.locator("#pairing-phone")
    await phone.fill("+628123456789")
    await page.getByRole("button", { name: "Get pairing code" }).click()
    await page.getByText("Leave out the +").waitFor()
    expect(await phone.getAttribute("aria-invalid")).toBe("true")
    expect(requests.some((url) => url.includes(":requestPairingCode"))).toBe(false)

    await phone.fill("628123456789")
    await page.getByRole("button", { name: "Get pairing code" }).click()
    const code = (await page.locator("output.code").textContent()) ?? ""
    expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/)
    await page.getByRole("button", { name: "Copy code" }).click()
    await page.getByText("Copied.").waitFor()
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(code)

    expect(await page.locator("#sim-code").inputValue()).toBe(code)
    await page.getByRole("button", { name: "Enter the code" }).click()
    await page.locator('.page-head [data-status="paired"]').waitFor()
    await page.locator('[data-event-type="SessionPaired"]').nth(1).waitFor()
  })

  it("drops and restores the connection, then unlinks, from the simulated phone's buttons", async () => {
    await page.getByRole("button", { name: "Drop the connection" }).click()
    await page.locator('.page-head [data-connected="false"]').waitFor()
    await page.locator('.page-head [data-connected="true"]').waitFor({ timeout: 10_000 })
    await page.getByRole("button", { name: "Unlink the device" }).click()
    await page.locator('.page-head [data-status="logged_out"]').waitFor()
    await page.getByText("by the phone (device unlinked)").waitFor()
  })

  it("deletes only after a confirmation (Escape cancels)", async () => {
    await page.getByRole("button", { name: "Delete session…" }).click()
    const dialog = page.getByRole("dialog")
    await dialog.waitFor()
    expect(await page.evaluate("document.activeElement?.textContent")).toBe("Cancel")
    await page.keyboard.press("Escape")
    await dialog.waitFor({ state: "hidden" })
    expect(await sessionStatus()).toBe(200)

    await page.getByRole("button", { name: "Delete session…" }).click()
    await dialog.getByRole("button", { name: "Delete for good" }).click()
    await page.getByRole("heading", { name: "Sessions" }).waitFor()
    await page.getByText("No sessions yet").waitFor()
    expect(await sessionStatus()).toBe(404)
  })

  it("signs out and forgets the key", async () => {
    await page.getByRole("button", { name: "Sign out" }).click()
    await page.locator("#token").waitFor()
    expect(await page.evaluate("sessionStorage.length")).toBe(0)
    await expect.poll(() => server.subscribers(), { timeout: LIVE_MS }).toBe(0) // the stream is closed too
    await page.reload()
    await page.locator("#token").waitFor()
  })

  it("asked nothing of any host but the gateway, and logged no error but the expected refusals", () => {
    const gateway = new URL(server.baseUrl).origin
    expect(requests.length).toBeGreaterThan(10)
    expect(requests.filter((url) => new URL(url).origin !== gateway)).toEqual([])
    expect(pageErrors).toEqual([])
    // Chromium logs every failed load itself: the wrong key's 401 and this
    // test's own probe of the revoked QR blob.
    const expected = new Set([
      `401 ${gateway}/api/v1/sessions?pageSize=1`,
      `net::ERR_FILE_NOT_FOUND ${revokedQrUrl}`
    ])
    const unexpected = consoleErrors.filter(({ text, url }) => {
      const reason = /^Failed to load resource: (?:the server responded with a status of (\d{3})|(net::\S+))/.exec(text)
      return reason === null || !expected.has(`${reason[1] ?? reason[2]} ${url}`)
    })
    expect(unexpected).toEqual([])
  })
})
