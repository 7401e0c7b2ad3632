import { type FakeWhatsApp, startFakeWhatsApp } from "@wa-gateway/testkit/fake-whatsapp"
import { afterAll, afterEach, describe, expect, it } from "vitest"
import { killEveryGateway, me, newPhoneNumber, ownDataDir, startGateway, until } from "./gateway-process.spec-helper.js"

// The real Baileys engine on the embedded store (PGlite in a DATA_DIR of its
// own): pairing by QR and by code, a restart that resumes both from the
// stored auth state, then the phone unlinking one and a DELETE of the other.

let fake: FakeWhatsApp | undefined
let dataDir: ReturnType<typeof ownDataDir> | undefined

afterEach(killEveryGateway)
afterAll(async () => {
  await killEveryGateway()
  await fake?.close()
  dataDir?.remove()
})

describe("the real engine on the embedded store", () => {
  it("pairs by QR and by code, resumes both after a restart without a new QR, then logs one out by the phone and deletes the other", async () => {
    fake = await startFakeWhatsApp({ closeGraceMs: 1_000 })
    dataDir = ownDataDir()
    const store = { dataDir: dataDir.path }
    const first = await startGateway({ fake, store })

    const byQr = await first.api.create("qr line")
    const qrPhone = newPhoneNumber("814")
    const qrDevice = await fake.phone.scan((await first.api.qr(byQr.sessionId)).qr, { phoneNumber: qrPhone, pushName: "Embedded QR" })
    const byCode = await first.api.create("code line")
    const codePhone = newPhoneNumber("814")
    const { code } = await first.api.requestPairingCode(byCode.sessionId, codePhone)
    expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/)
    const codeDevice = await fake.phone.enterCode(code, { phoneNumber: codePhone, pushName: "Embedded Code" })
    for (const [sessionId, device, phoneNumber, pushName] of [
      [byQr.sessionId, qrDevice, qrPhone, "Embedded QR"],
      [byCode.sessionId, codeDevice, codePhone, "Embedded Code"]
    ] as const) {
      await first.api.until(sessionId, "paired and connected", (s) => s.status === "paired" && s.connected)
      expect((await me(first.api, sessionId)).body).toEqual({
        sessionId, status: "paired", connected: true, phoneNumber, waJid: device.jid, waLid: device.lid, pushName
      })
      await device.waitForLogin({ timeoutMs: 10_000 })
    }

    expect(await first.stop()).toBe(0)
    for (const device of [qrDevice, codeDevice]) await until("the device's socket is closed", () => device.openConnections === 0 ? true : undefined, 10_000)
    const beforeRestart = fake.connections.total
    const second = await startGateway({ fake, store, apiKey: first.apiKey })
    for (const [sessionId, device] of [[byQr.sessionId, qrDevice], [byCode.sessionId, codeDevice]] as const) {
      await device.waitForLogin({ count: 2, timeoutMs: 30_000 })
      expect(await second.api.until(sessionId, "connected again", (s) => s.connected)).toMatchObject({ status: "paired", waJid: device.jid })
      expect((await second.api.events(sessionId)).map((e) => e.type)).toEqual(["SessionCreated", "PairingStarted", "SessionPaired"])
    }
    expect(fake.connections.total - beforeRestart).toBe(2)
    expect(fake.pendingPairings).toEqual([])

    await qrDevice.unlink()
    expect(await second.api.until(byQr.sessionId, "logged out", (s) => s.status === "logged_out")).toMatchObject({ connected: false, waJid: null })
    expect((await second.api.events(byQr.sessionId)).at(-1)).toMatchObject({ type: "LoggedOut", data: { by: "device" } })

    expect((await second.api.call("DELETE", `/sessions/${byCode.sessionId}`)).status).toBe(204)
    await until("the deleted session's socket is closed", () => codeDevice.openConnections === 0 ? true : undefined, 10_000)
    // the client's remove-companion-device reaches the fake in this process on its own time
    await until("the fake has the device unlinked", () => codeDevice.linked ? undefined : true, 10_000)
    expect((await second.api.call("GET", `/sessions/${byCode.sessionId}`)).status).toBe(404)

    // neither comes back on the next start: one is logged out, the other gone
    expect(await second.stop()).toBe(0)
    const beforeLast = fake.connections.total
    const third = await startGateway({ fake, store, apiKey: first.apiKey })
    // the boot pass found nothing to resume: the logged-out session is not paired, the deleted one is gone
    await until("the boot pass is done", () => third.output().includes("supervisor started: 0 paired session(s) resumed") ? true : undefined)
    expect(await third.api.get(byQr.sessionId)).toMatchObject({ status: "logged_out", connected: false })
    expect(fake.connections.total).toBe(beforeLast)
    fake.assertAtMostOneConnection()
  }, 150_000)
})
