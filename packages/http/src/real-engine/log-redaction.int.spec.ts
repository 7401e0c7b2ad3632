import { type FakeWhatsApp, startFakeWhatsApp } from "@wa-gateway/testkit/fake-whatsapp"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type GatewayProcess, killEveryGateway, newPhoneNumber, ownDatabase, query, startGateway } from "./gateway-process.spec-helper.js"

// The real Baileys engine at LOG_LEVEL=debug (Baileys' own info lines come
// through, with their details) against the fake WhatsApp: pairing by QR and by
// code, a logout; then no line may hold a QR, a code, an auth-state value or
// an unmasked number. The simulator's whole lifecycle is ../log-redaction.int.spec.ts.

let fake: FakeWhatsApp
let database: Awaited<ReturnType<typeof ownDatabase>>
let gateway: GatewayProcess

beforeAll(async () => {
  fake = await startFakeWhatsApp({ closeGraceMs: 1_000 })
  database = await ownDatabase("log_redaction")
  gateway = await startGateway({ fake, store: { databaseUrl: database.url }, env: { LOG_LEVEL: "debug" } })
})

afterAll(async () => {
  await killEveryGateway()
  await fake?.close()
  await database?.drop()
})

/** Every string in a stored auth-state value long enough to be key material (BufferJSON keeps bytes as base64). */
const strings = (value: unknown): Array<string> =>
  typeof value === "string" ? (value.length >= 12 ? [value] : [])
  : Array.isArray(value) ? value.flatMap(strings)
  : typeof value === "object" && value !== null ? Object.values(value).flatMap(strings)
  : []

describe("the real engine's log at LOG_LEVEL=debug", () => {
  it("holds no QR, pairing code or auth-state value, and phone numbers and JIDs only masked", async () => {
    const { api } = gateway
    const shown: Array<string> = []

    const byQr = await api.create("qr line")
    const { qr } = await api.qr(byQr.sessionId)
    // The QR and each of its comma-separated parts (refs and keys; the short flags are no secret).
    shown.push(qr, ...qr.replace(/^.*#2@/, "").split(",").filter((part) => part.length >= 12))
    const qrPhone = newPhoneNumber("871")
    const qrDevice = await fake.phone.scan(qr, { phoneNumber: qrPhone, pushName: "Acme Support" })
    await api.until(byQr.sessionId, "paired and connected", (s) => s.status === "paired" && s.connected)
    await qrDevice.waitForLogin({ timeoutMs: 10_000 })

    const byCode = await api.create("code line")
    const codePhone = newPhoneNumber("872")
    const { code } = await api.requestPairingCode(byCode.sessionId, codePhone)
    shown.push(code, code.replace("-", ""))
    const codeDevice = await fake.phone.enterCode(code, { phoneNumber: codePhone, pushName: "Code Line" })
    await api.until(byCode.sessionId, "paired and connected", (s) => s.status === "paired" && s.connected)
    await codeDevice.waitForLogin({ timeoutMs: 10_000 })

    // The auth state of the session that stays, read before the other logs out (its rows are erased then).
    const auth = await query<{ value: unknown }>(database.url, "select value from wa_auth where session_id = $1", [byQr.sessionId])
    // The push name is in the creds too (`me.name`): shown by /me, no key material.
    const authValues = [...new Set(auth.flatMap((row) => strings(row.value)))].filter((value) => value !== "Acme Support")
    expect(authValues.length).toBeGreaterThan(5)
    expect((await api.call("POST", `/sessions/${byCode.sessionId}:logout`)).status).toBe(200)

    expect(await gateway.stop()).toBe(0)
    const lines = gateway.output().split("\n").filter((line) => line !== "")
    // Baileys' own progress reached the log (its info is our debug): the checks below are not vacuous.
    expect(lines.filter((line) => line.includes("\"logLevel\":\"DEBUG\"") && line.includes("baileys:")).length).toBeGreaterThan(5)

    const numbers = [qrDevice, codeDevice].flatMap((d) => [d.phoneNumber, d.lid.split(":")[0] ?? d.lid])
    const leaks = lines.flatMap((line) => [
      ...shown.filter((secret) => line.includes(secret)).map((secret) => `a QR or code (${secret.slice(0, 6)}…)`),
      ...authValues.filter((value) => line.includes(value)).map((value) => `an auth-state value (${value.slice(0, 6)}…)`),
      ...numbers.filter((number) => line.includes(number)).map((number) => `an unmasked number (${number.slice(0, 4)}…)`)
    ].map((what) => `${what} in: ${line.slice(0, 300)}`))
    expect(leaks).toEqual([])
  }, 180_000)
})
