import { type FakeDevice, type FakeWhatsApp, startFakeWhatsApp } from "@wa-gateway/testkit/fake-whatsapp"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type GatewayProcess, killEveryGateway, type LogLine, newPhoneNumber, ownDatabase, query, startGateway, until } from "./gateway-process.spec-helper.js"

// The real Baileys engine through the HTTP API when WhatsApp closes a paired
// session's socket, on PostgreSQL: each close reason of the engine's table as
// the fake sends it, one gateway for the file, each test with phones of its own.

let fake: FakeWhatsApp
let database: Awaited<ReturnType<typeof ownDatabase>>
let gateway: GatewayProcess

beforeAll(async () => {
  fake = await startFakeWhatsApp({ closeGraceMs: 1_000 })
  database = await ownDatabase("close_reasons")
  gateway = await startGateway({ fake, store: { databaseUrl: database.url } })
})

afterAll(async () => {
  await killEveryGateway()
  await fake?.close()
  await database?.drop()
})

/** A session paired by QR with a phone of its own, connected. */
const pairedSession = async (name: string) => {
  const { api } = gateway
  const { sessionId } = await api.create(name)
  const device = await fake.phone.scan((await api.qr(sessionId)).qr, { phoneNumber: newPhoneNumber("813") })
  await api.until(sessionId, "paired and connected", (s) => s.status === "paired" && s.connected)
  await device.waitForLogin({ timeoutMs: 10_000 })
  return { sessionId, device }
}

const authRows = async (sessionId: string) =>
  Number((await query<{ n: string }>(database.url, "select count(*) as n from wa_auth where session_id = $1", [sessionId]))[0]?.n)

const textOf = (line: LogLine): string => Array.isArray(line.message) ? line.message.join(" ") : String(line.message ?? "")

/** The gateway's log lines about one session. */
const logOf = (sessionId: string) => gateway.logLines().filter((line) => line.annotations?.["sessionId"] === sessionId)

/** `1s 234ms`, `567ms`, `0ms` (Effect's Duration.format) in milliseconds. */
const millisOf = (text: string): number => {
  const parts = /^(?:(\d+)m )?(?:(\d+)s ?)?(?:(\d+)ms)?$/.exec(text.trim())
  if (parts === null) throw new Error(`not a duration: ${text}`)
  return Number(parts[1] ?? 0) * 60_000 + Number(parts[2] ?? 0) * 1_000 + Number(parts[3] ?? 0)
}

/** The delays the runtime announced before each reconnect, in order. */
const announcedBackoff = (sessionId: string): ReadonlyArray<{ readonly attempt: number; readonly delayMs: number }> =>
  logOf(sessionId).flatMap((line) => {
    const found = /^reconnecting in (.+) \(attempt (\d+)\)$/.exec(textOf(line))
    return found === null ? [] : [{ attempt: Number(found[2]), delayMs: millisOf(found[1]!) }]
  })

describe.concurrent("a paired session whose connection WhatsApp closes, reconnects (PostgreSQL)", () => {
  it("a dropped connection (no stream error): connected: false, then connected again after a backoff delay of at most 1 s", async () => {
    const { sessionId, device } = await pairedSession("dropped line")
    await device.dropConnection()
    await gateway.api.until(sessionId, "connected again", (s) => s.connected, 20_000)
    await device.waitForLogin({ count: 2, timeoutMs: 10_000 })
    expect(announcedBackoff(sessionId)).toEqual([{ attempt: 1, delayMs: expect.any(Number) }])
    expect(announcedBackoff(sessionId)[0]!.delayMs).toBeLessThanOrEqual(1_000)
    expect(device.linked).toBe(true)
    device.assertAtMostOneConnection()
  })

  it("logins refused n times (503): connected after the n-th, each retry after a delay within the doubling cap", async () => {
    const { sessionId, device } = await pairedSession("refused line")
    const refusals = 3
    device.refuseLogins(refusals)
    await device.dropConnection()
    await device.waitForLogin({ count: 2, timeoutMs: 30_000 })
    await gateway.api.until(sessionId, "connected again", (s) => s.connected, 10_000)
    const logins = device.connections.filter((c) => c.kind === "login")
    expect(logins.map((c) => c.refusedWith ?? (c.loggedIn ? "logged in" : "neither"))).toEqual(["logged in", ...Array<number>(refusals).fill(503), "logged in"])
    const backoff = announcedBackoff(sessionId)
    expect(backoff.map((b) => b.attempt)).toEqual(Array.from({ length: refusals + 1 }, (_, k) => k + 1))
    // full jitter: each delay anywhere from 0 to its cap (1 s, 2 s, 4 s, 8 s)
    for (const { attempt, delayMs } of backoff) expect(delayMs).toBeLessThanOrEqual(1_000 * 2 ** (attempt - 1))
    // and each reconnect really waited: a socket opens no sooner than the announced delay after the previous
    // one closed (as the fake saw them: it records a close when its event loop reads it, hence the slack)
    const closedAndOpened = logins.slice(1).map((c, k) => c.openedAt.getTime() - logins[k]!.closedAt!.getTime())
    for (const [k, gap] of closedAndOpened.entries()) expect(gap).toBeGreaterThanOrEqual(backoff[k]!.delayMs - 250)
    device.assertAtMostOneConnection()
  }, 60_000)
})

/** Watches the fake for `ms`: no new socket at all, from anyone (a retry with purged creds would be a new registration). */
const expectNoNewConnections = async (devices: ReadonlyArray<FakeDevice>, ms: number) => {
  const total = fake.connections.total
  const perDevice = devices.map((d) => d.totalConnections)
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    expect(fake.connections.total, "a socket was opened after the close").toBe(total)
    expect(devices.map((d) => d.totalConnections)).toEqual(perDevice)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

describe("a paired session whose connection WhatsApp ends for good stays down (PostgreSQL)", () => {
  // Paired before the quiet window, so the window sees the closes alone.
  let unlinked: Awaited<ReturnType<typeof pairedSession>>
  let replaced: Awaited<ReturnType<typeof pairedSession>>
  let banned: Awaited<ReturnType<typeof pairedSession>>
  beforeAll(async () => {
    ;[unlinked, replaced, banned] = await Promise.all([pairedSession("unlinked line"), pairedSession("replaced line"), pairedSession("banned line")])
  })

  it.concurrent("unlinked on the phone (401 device_removed): logged_out by the device, auth state purged, no reconnect attempt for 10 s; then linked again as a new device", async () => {
    const { sessionId, device } = unlinked
    expect(await authRows(sessionId)).toBeGreaterThan(0)
    await device.unlink()
    const session = await gateway.api.until(sessionId, "logged out", (s) => s.status === "logged_out")
    expect(session).toMatchObject({ connected: false, phoneNumber: null, waJid: null })
    expect((await gateway.api.events(sessionId)).at(-1)).toMatchObject({ type: "LoggedOut", data: { by: "device" } })
    expect(await authRows(sessionId)).toBe(0)
    await expectNoNewConnections([device], 10_000)
    expect(device.linked).toBe(false)

    // the same phone links the session again: a new device, from fresh creds
    const { qr } = await gateway.api.qr(sessionId)
    const relinked = await fake.phone.scan(qr, { phoneNumber: device.phoneNumber })
    expect(relinked.deviceId).toBe(device.deviceId + 1)
    expect(await gateway.api.until(sessionId, "paired again", (s) => s.status === "paired" && s.connected)).toMatchObject({ waJid: relinked.jid, waLid: relinked.lid })
    await relinked.waitForLogin({ timeoutMs: 10_000 })
    expect(device.totalConnections).toBe(2)
  }, 45_000)

  it.concurrent("replaced (440): reported (connected: false, a warning naming 440), not fought: no reconnect attempt for 10 s, the creds kept", async () => {
    const { sessionId, device } = replaced
    await device.replace()
    const session = await gateway.api.until(sessionId, "disconnected", (s) => !s.connected)
    expect(session.status).toBe("paired")
    await until("the 440 is logged", () => logOf(sessionId).find((l) => l.logLevel === "WARN" && textOf(l).includes("(440)")))
    await expectNoNewConnections([device], 10_000)
    expect(await gateway.api.get(sessionId)).toMatchObject({ status: "paired", connected: false })
    expect(device.linked).toBe(true)
    expect(await authRows(sessionId)).toBeGreaterThan(0)
  }, 30_000)

  it.concurrent("banned (403): reported as an error, no reconnect attempt for 10 s", async () => {
    const { sessionId, device } = banned
    await device.ban()
    await gateway.api.until(sessionId, "disconnected", (s) => !s.connected)
    await until("the 403 is logged", () => logOf(sessionId).find((l) => l.logLevel === "ERROR" && textOf(l).includes("403")))
    await expectNoNewConnections([device], 10_000)
    expect((await gateway.api.get(sessionId)).connected).toBe(false)
  }, 30_000)
})
