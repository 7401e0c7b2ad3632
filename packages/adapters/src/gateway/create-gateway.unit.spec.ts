import { afterEach, describe, expect, it } from "vitest"
import { createGateway, type EmbeddedGateway } from "./create-gateway.js"

const phone = "628123456789"
const open: Array<EmbeddedGateway> = []

const start = async (options: Parameters<typeof createGateway>[0] = { engine: "simulator", seed: 5 }) => {
  const gateway = await createGateway(options)
  open.push(gateway)
  return gateway
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((g) => g.close()))
})

describe("createGateway (promise API, memory store)", () => {
  it("runs the whole lifecycle with plain promises", async () => {
    const gateway = await start()
    const session = await gateway.create({ name: "support" })
    expect(session).toMatchObject({ name: "support", status: "unpaired", connected: false })

    const { qr } = await gateway.startPairing(session.sessionId)
    expect(qr).toMatch(/^2@/)
    const scanned = await gateway.phone.scan(session.sessionId, { phoneNumber: phone, pushName: "Support" })
    expect(scanned).toMatchObject({ status: "paired", connected: true, phoneNumber: phone })
    expect((await gateway.me(session.sessionId)).waJid).toMatch(/^628123456789:\d+@s\.whatsapp\.net$/)

    expect((await gateway.logout(session.sessionId)).status).toBe("logged_out")
    const { code } = await gateway.requestPairingCode(session.sessionId, phone)
    expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/)
    expect((await gateway.phone.enterCode(session.sessionId, { code })).status).toBe("paired")

    const events = await gateway.events(session.sessionId)
    expect(events.map((e) => e.type)).toEqual([
      "SessionCreated",
      "PairingStarted",
      "SessionPaired",
      "LoggedOut",
      "PairingStarted",
      "SessionPaired"
    ])
    expect(events[3]).toMatchObject({ version: 4, data: { by: "user" } })
    expect(typeof events[0]?.position).toBe("number")
    expect(JSON.parse(JSON.stringify(events))).toHaveLength(6)

    await gateway.delete(session.sessionId)
    await expect(gateway.get(session.sessionId)).rejects.toMatchObject({ code: "not_found", reason: "SessionNotFound" })
  })

  it("rejects with a GatewayOperationError whose code says what went wrong", async () => {
    const gateway = await start()
    const { sessionId } = await gateway.create()
    await expect(gateway.get("sess_nope")).rejects.toMatchObject({ name: "GatewayOperationError", code: "not_found" })
    await expect(gateway.requestPairingCode(sessionId, "+628123456789")).rejects.toMatchObject({ code: "validation_error", reason: "InvalidPhone" })
    await expect(gateway.me(sessionId)).rejects.toMatchObject({ code: "not_found" })
    await expect(gateway.create({ name: "x".repeat(101) })).rejects.toMatchObject({ code: "validation_error", reason: "InvalidInput" })
    await expect(gateway.create(JSON.parse('{"name": 5}'))).rejects.toMatchObject({ code: "validation_error", reason: "InvalidInput" })
    expect((await gateway.create({ name: "x".repeat(100) })).name).toHaveLength(100)
    expect((await gateway.create({ name: "📱".repeat(100) })).name).toBe("📱".repeat(100))
    // Plain JS callers may pass anything: a wrong shape is validation_error, never internal.
    const loose = JSON.parse('{"number": 628123456789, "scan": {"phoneNumber": 628123456789}, "drop": {"reconnectAfterMs": -5}}')
    const pairing = (await gateway.create()).sessionId
    await expect(gateway.requestPairingCode(pairing, loose.number)).rejects.toMatchObject({ code: "validation_error" })
    await gateway.startPairing(pairing)
    await expect(gateway.phone.scan(pairing, loose.scan)).rejects.toMatchObject({ code: "validation_error" })
    await expect(gateway.phone.enterCode(pairing, loose.scan)).rejects.toMatchObject({ code: "validation_error" })
    await expect(gateway.phone.dropConnection(pairing, loose.drop)).rejects.toMatchObject({ code: "validation_error" })
    await expect(gateway.logout(sessionId)).rejects.toMatchObject({ code: "validation_error", reason: "NotPaired" })
    await expect(gateway.phone.scan(sessionId, { phoneNumber: phone })).rejects.toMatchObject({
      code: "validation_error",
      reason: "PhoneActionRejected"
    })
    await expect(gateway.list({ pageSize: 0 })).rejects.toMatchObject({ code: "validation_error" })
  })

  it("keeps orgs apart and pages through the list", async () => {
    const gateway = await start()
    const acme = gateway.forOrg("acme")
    const mine = await acme.create({ name: "a" })
    await expect(gateway.get(mine.sessionId)).rejects.toMatchObject({ code: "not_found" })
    await acme.create({ name: "b" })
    await acme.create({ name: "c" })
    const first = await acme.list({ pageSize: 2 })
    expect(first.sessions).toHaveLength(2)
    expect(first.next).not.toBeNull()
    const second = await acme.list({ pageSize: 2, after: first.next })
    expect(second.sessions).toHaveLength(1)
    expect(second.next).toBeNull()
    const all = [...first.sessions, ...second.sessions].map((s) => s.name).sort()
    expect(all).toEqual(["a", "b", "c"])
    expect((await gateway.list()).sessions).toEqual([])
  })

  it("on the baileys engine with WhatsApp unreachable, pairing answers unavailable, and sessions are still managed", async () => {
    // A port nothing listens on: the connection is refused at once, and no test reaches the real WhatsApp.
    const gateway = await start({ engine: "baileys", whatsapp: { serverUrl: "ws://127.0.0.1:1" } })
    const { sessionId } = await gateway.create({ name: "x" })
    await expect(gateway.startPairing(sessionId)).rejects.toMatchObject({ code: "unavailable" })
    // Only the simulator engine has a simulated phone.
    await expect(gateway.phone.unlink(sessionId)).rejects.toMatchObject({ code: "not_implemented" })
    expect((await gateway.get(sessionId)).status).toBe("unpaired")
    await gateway.delete(sessionId)
  })

  it("rejects every call once closed", async () => {
    const gateway = await start()
    await gateway.close()
    await expect(gateway.create()).rejects.toMatchObject({ code: "unavailable", reason: "Closed" })
  })

  it("subscribes as an async iterator: resumes after a position, filters, and ends when the loop is left", async () => {
    const gateway = await start()
    const first = await gateway.create({ name: "first" })
    const second = await gateway.create({ name: "second" })
    const [created] = await gateway.events(first.sessionId)
    const seen: Array<{ readonly type: string; readonly position: number | null; readonly sessionId: unknown }> = []
    for await (const event of gateway.subscribe({ after: created?.position ?? 0, types: ["session.created", "session.pairing_started"] })) {
      seen.push({ type: event.type, position: event.position, sessionId: event.data["sessionId"] })
      if (seen.length === 1) await gateway.startPairing(second.sessionId)
      if (seen.length === 2) break
    }
    expect(seen.map((e) => [e.type, e.sessionId])).toEqual([
      ["session.created", second.sessionId],
      ["session.pairing_started", second.sessionId]
    ])
    expect(seen.every((e) => typeof e.position === "number" && e.position > (created?.position ?? 0))).toBe(true)
    // Another org's view sees none of it.
    const iterator = gateway.forOrg("elsewhere").subscribe({ after: 0 })[Symbol.asyncIterator]()
    const next = iterator.next()
    await gateway.forOrg("elsewhere").create({ name: "theirs" })
    expect((await next).value).toMatchObject({ type: "session.created", data: { orgId: "elsewhere" } })
    await iterator.return?.()
  })

  it("refuses a subscription it cannot read with validation_error", async () => {
    const gateway = await start()
    for (const options of [{ after: -1 }, { types: ["session.exploded"] }, { sessionIds: ["nope"] }]) {
      await expect(gateway.subscribe(options)[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: "validation_error" })
    }
  })
})
