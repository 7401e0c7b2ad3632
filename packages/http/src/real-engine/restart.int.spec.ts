import { type FakeDevice, type FakeWhatsApp, startFakeWhatsApp } from "@wa-gateway/testkit/fake-whatsapp"
import { afterAll, afterEach, describe, expect, it } from "vitest"
import { type ApiClient, killEveryGateway, newPhoneNumber, ownDatabase, startGateway, until } from "./gateway-process.spec-helper.js"

// The real Baileys engine across restarts of the gateway process, on
// PostgreSQL: the sessions log in again with their stored auth state, without
// a new QR, and a device never has two sockets open at once. The fake runs in
// this process, so it remembers the devices across every restart.

let fake: FakeWhatsApp | undefined
let database: Awaited<ReturnType<typeof ownDatabase>> | undefined

afterEach(killEveryGateway)
afterAll(async () => {
  await killEveryGateway()
  await fake?.close()
  await database?.drop()
})

interface Line {
  readonly sessionId: string
  readonly device: FakeDevice
}

/** Two sessions, one paired by QR and one by code, both connected. */
const pairTwo = async (api: ApiClient, fakeWhatsApp: FakeWhatsApp): Promise<ReadonlyArray<Line>> => {
  const byQr = await api.create("qr line")
  const qrDevice = await fakeWhatsApp.phone.scan((await api.qr(byQr.sessionId)).qr, { phoneNumber: newPhoneNumber("812"), pushName: "QR Line" })
  const byCode = await api.create("code line")
  const codePhone = newPhoneNumber("812")
  const codeDevice = await fakeWhatsApp.phone.enterCode((await api.requestPairingCode(byCode.sessionId, codePhone)).code, { phoneNumber: codePhone })
  const lines = [{ sessionId: byQr.sessionId, device: qrDevice }, { sessionId: byCode.sessionId, device: codeDevice }]
  for (const { sessionId, device } of lines) {
    await api.until(sessionId, "paired and connected", (s) => s.status === "paired" && s.connected)
    await device.waitForLogin({ timeoutMs: 10_000 })
  }
  return lines
}

/**
 * What a restarted gateway must show: each session logged in once more (to
 * `logins` in all), connected, nothing new paired; and the fake saw one new
 * socket per session since `totalBefore`, each a login with the stored creds
 * (a registration, or a retry with fresh creds, would add more).
 */
const expectResumed = async (
  api: ApiClient,
  fakeWhatsApp: FakeWhatsApp,
  lines: ReadonlyArray<Line & { readonly logins: number }>,
  totalBefore: number
) => {
  for (const { sessionId, device, logins } of lines) {
    await device.waitForLogin({ count: logins, timeoutMs: 30_000 })
    const session = await api.until(sessionId, "connected again", (s) => s.connected)
    expect(session).toMatchObject({ status: "paired", waJid: device.jid, waLid: device.lid })
    expect(device.linked).toBe(true)
    expect(device.logins).toBe(logins)
    // no new QR: the session's history is still its one pairing
    expect((await api.events(sessionId)).map((e) => e.type)).toEqual(["SessionCreated", "PairingStarted", "SessionPaired"])
  }
  expect(fakeWhatsApp.connections.total - totalBefore).toBe(lines.length)
  expect(fakeWhatsApp.pendingPairings).toEqual([])
  fakeWhatsApp.assertAtMostOneConnection()
}

describe("the real engine across gateway restarts (PostgreSQL)", () => {
  it("after SIGTERM and after kill -9, the next start logs every paired session in with its stored creds: connected, no new QR, never two sockets at once", async () => {
    fake = await startFakeWhatsApp({ closeGraceMs: 1_000 })
    database = await ownDatabase("restart")
    const store = { databaseUrl: database.url }
    const first = await startGateway({ fake, store })
    const lines = await pairTwo(first.api, fake)

    // SIGTERM closes every socket without logging out
    expect(await first.stop()).toBe(0)
    for (const { device } of lines) {
      await until("the device's socket is closed", () => device.openConnections === 0 ? true : undefined, 10_000)
      expect(device.linked).toBe(true)
    }
    const beforeSecond = fake.connections.total
    const second = await startGateway({ fake, store, apiKey: first.apiKey })
    await expectResumed(second.api, fake, lines.map((line) => ({ ...line, logins: 2 })), beforeSecond)

    // one more pairing, killed the moment the API shows it paired: what it wrote by then must be enough
    const late = await second.api.create("late line")
    const lateDevice = await fake.phone.scan((await second.api.qr(late.sessionId)).qr, { phoneNumber: newPhoneNumber("812") })
    await second.api.until(late.sessionId, "paired and connected", (s) => s.status === "paired" && s.connected)
    // kill -9: the sockets die with the process, and nothing is shut down in order
    await second.kill9()
    const all = [...lines, { sessionId: late.sessionId, device: lateDevice }]
    for (const { device } of all) await until("the device's socket is closed", () => device.openConnections === 0 ? true : undefined, 10_000)
    const beforeThird = fake.connections.total
    const third = await startGateway({ fake, store, apiKey: first.apiKey })
    await expectResumed(third.api, fake, [...lines.map((line) => ({ ...line, logins: 3 })), { sessionId: late.sessionId, device: lateDevice, logins: 2 }], beforeThird)
    for (const { device } of all) device.assertAtMostOneConnection()
  }, 150_000)
})
