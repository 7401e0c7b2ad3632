import { type FakeWhatsApp, startFakeWhatsApp } from "@wa-gateway/testkit/fake-whatsapp"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { everyTableAsText, type GatewayProcess, killEveryGateway, me, newPhoneNumber, ownDatabase, query, startGateway, until } from "./gateway-process.spec-helper.js"

// The real Baileys engine through the HTTP API, on PostgreSQL: pairing by QR
// and by code, one gateway for the file (each test has phones of its own).

let fake: FakeWhatsApp
let database: Awaited<ReturnType<typeof ownDatabase>>
let gateway: GatewayProcess

beforeAll(async () => {
  fake = await startFakeWhatsApp({ closeGraceMs: 1_000 })
  database = await ownDatabase("pairing")
  gateway = await startGateway({ fake, store: { databaseUrl: database.url } })
})

afterAll(async () => {
  await killEveryGateway()
  await fake?.close()
  await database?.drop()
})

const phone = () => newPhoneNumber("811")
/** Every QR string and pairing code the API handed out: secrets no log line may hold. */
const shown: Array<string> = []

describe.concurrent("the real engine pairs through the HTTP API (PostgreSQL)", () => {
  it("by QR: the string /qr returns is what the phone scans; paired and connected; /me is exactly the phone's identity", async () => {
    const { api } = gateway
    const { sessionId } = await api.create("qr line")
    const { qr, expiresAt } = await api.qr(sessionId)
    shown.push(qr)
    expect(qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#2@/)
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now())
    expect((await api.get(sessionId)).status).toBe("pairing")

    const phoneNumber = phone()
    const device = await fake.phone.scan(qr, { phoneNumber, pushName: "Acme Support" })
    const paired = await api.until(sessionId, "paired and connected", (s) => s.status === "paired" && s.connected)
    expect(paired).toMatchObject({ phoneNumber, waJid: device.jid, waLid: device.lid, pushName: "Acme Support" })
    const identity = await me(api, sessionId)
    expect(identity).toEqual({
      status: 200,
      body: { sessionId, status: "paired", connected: true, phoneNumber, waJid: device.jid, waLid: device.lid, pushName: "Acme Support" }
    })
    expect(device.jid).toBe(`${phoneNumber}:1@s.whatsapp.net`)
    // the socket it paired on (closed with 515) and one login
    expect({ logins: device.logins, open: device.openConnections, total: device.totalConnections }).toEqual({ logins: 1, open: 1, total: 2 })
    device.assertAtMostOneConnection()
    expect((await api.events(sessionId)).map((e) => e.type)).toEqual(["SessionCreated", "PairingStarted", "SessionPaired"])
  })

  it("by pairing code: :requestPairingCode answers ABCD-1234, the phone enters it, paired and connected", async () => {
    const { api } = gateway
    const phoneNumber = phone()
    const { sessionId } = await api.create("code line")
    const { code, expiresAt } = await api.requestPairingCode(sessionId, phoneNumber)
    shown.push(code, code.replace("-", ""))
    expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/)
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now())
    expect(fake.pendingPairings.find((p) => p.codeRequestedFor === phoneNumber)).toBeDefined()

    const device = await fake.phone.enterCode(code, { phoneNumber, pushName: "Code Line" })
    const paired = await api.until(sessionId, "paired and connected", (s) => s.status === "paired" && s.connected)
    expect(paired).toMatchObject({ phoneNumber, waJid: device.jid, waLid: device.lid, pushName: "Code Line" })
    expect((await me(api, sessionId)).body).toMatchObject({ waJid: device.jid, waLid: device.lid, phoneNumber, pushName: "Code Line" })
    await device.waitForLogin({ timeoutMs: 10_000 })
    device.assertAtMostOneConnection()
  })

  it("twenty sessions paired at once, each by its own phone: all paired and connected, each with its own identity, one socket each", async () => {
    const { api } = gateway
    const lines = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const phoneNumber = phone()
      const { sessionId } = await api.create(`line ${i}`)
      const { qr } = await api.qr(sessionId)
      shown.push(qr)
      const device = await fake.phone.scan(qr, { phoneNumber, pushName: `Line ${i}` })
      return { sessionId, phoneNumber, device, i }
    }))
    const sessions = await Promise.all(lines.map(({ sessionId }) =>
      api.until(sessionId, "paired and connected", (s) => s.status === "paired" && s.connected, 60_000)))
    for (const [k, { phoneNumber, device, i }] of lines.entries()) {
      expect(sessions[k]).toMatchObject({ status: "paired", connected: true, phoneNumber, waJid: device.jid, waLid: device.lid, pushName: `Line ${i}` })
      await device.waitForLogin({ timeoutMs: 20_000 })
      expect(device.logins).toBe(1)
      device.assertAtMostOneConnection()
    }
    expect(new Set(sessions.map((s) => s.waJid)).size).toBe(20)
    expect(new Set(sessions.map((s) => s.waLid)).size).toBe(20)
  }, 120_000)

  it(":logout through the API unlinks the device on the fake, closes its socket and erases the auth state", async () => {
    const { api } = gateway
    const { sessionId, device } = await pairedByQr("logout line")
    const loggedOut = await api.call<{ status: string; connected: boolean }>("POST", `/sessions/${sessionId}:logout`)
    expect(loggedOut).toMatchObject({ status: 200, body: { status: "logged_out", connected: false } })
    // the client's remove-companion-device reaches the fake in this process on its own time
    await until("the fake has the device unlinked", () => device.linked ? undefined : true, 10_000)
    await until("the device's socket is closed", () => device.openConnections === 0 ? true : undefined, 10_000)
    expect(await authRows(sessionId)).toBe(0)
    expect((await api.events(sessionId)).at(-1)).toMatchObject({ type: "LoggedOut", data: { by: "user" } })
    expect((await me(api, sessionId)).status).toBe(404)
    device.assertAtMostOneConnection()
  })

  it("DELETE of a paired session closes its socket, unlinks the device, and leaves nothing of it in any table", async () => {
    const { api } = gateway
    const { sessionId, device, phoneNumber } = await pairedByQr("delete line", "Siti Rahayu")
    expect(await authRows(sessionId)).toBeGreaterThan(0)
    const personal = [phoneNumber, device.jid, device.lid, device.lid.split(":")[0]!, "Siti Rahayu"]
    const before = (await everyTableAsText(database.url)).text
    expect(personal.filter((p) => !before.includes(p))).toEqual([])

    expect((await api.call("DELETE", `/sessions/${sessionId}`)).status).toBe(204)
    await until("the device's socket is closed", () => device.openConnections === 0 ? true : undefined, 10_000)
    // the client's remove-companion-device reaches the fake in this process on its own time
    await until("the fake has the device unlinked", () => device.linked ? undefined : true, 10_000)
    expect((await api.call("GET", `/sessions/${sessionId}`)).status).toBe(404)
    const after = await everyTableAsText(database.url)
    expect(after.tables).toEqual(expect.arrayContaining(["events", "sessions", "wa_auth", "api_keys"]))
    expect(personal.filter((p) => after.text.includes(p))).toEqual([])
    expect(await authRows(sessionId)).toBe(0)
    expect(await query(database.url, "select session_id from sessions where session_id = $1", [sessionId])).toEqual([])
    device.assertAtMostOneConnection()
  })
})

describe("the gateway's log, after all of the above (LOG_LEVEL=info)", () => {
  it("holds none of the phone numbers, JIDs, LIDs, QR strings or pairing codes the gateway handled", () => {
    expect(fake.devices.length).toBeGreaterThanOrEqual(24)
    const secrets = [
      ...shown,
      ...fake.devices.flatMap((d) => [d.phoneNumber, d.jid, d.lid, d.lid.split(":")[0]!])
    ]
    const output = gateway.output()
    expect(output).toContain("socket closed: RestartRequired (515)")
    expect(secrets.filter((secret) => output.includes(secret))).toEqual([])
  })
})

/** A session paired by QR with a phone of its own, connected. */
const pairedByQr = async (name: string, pushName?: string) => {
  const { api } = gateway
  const phoneNumber = phone()
  const { sessionId } = await api.create(name)
  const { qr } = await api.qr(sessionId)
  shown.push(qr)
  const device = await fake.phone.scan(qr, { phoneNumber, ...(pushName === undefined ? {} : { pushName }) })
  await api.until(sessionId, "paired and connected", (s) => s.status === "paired" && s.connected)
  await device.waitForLogin({ timeoutMs: 10_000 })
  return { sessionId, device, phoneNumber }
}

const authRows = async (sessionId: string) =>
  (await query<{ n: string }>(database.url, "select count(*) as n from wa_auth where session_id = $1", [sessionId])).map((r) => Number(r.n))[0]

