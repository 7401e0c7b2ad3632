import { Effect } from "effect"
import { OrgId, SessionId } from "@wa-gateway/domain"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { call, expectEnvelope, type Reply, startTestServer, type TestServer, wire } from "../server.spec-helper.js"
import { Me, PairingCode, QrCode, Session, SessionEvents, SessionList } from "./api.js"

let server: TestServer
/** read + manage in org-a */
let admin: string
/** read only in org-a */
let reader: string
/** manage only in org-a */
let manager: string
/** read + manage in org-b */
let other: string

beforeAll(async () => {
  server = await startTestServer()
  admin = await server.apiKey("org-a", ["read", "manage"])
  reader = await server.apiKey("org-a", ["read"])
  manager = await server.apiKey("org-a", ["manage"])
  other = await server.apiKey("org-b", ["read", "manage"])
})
afterAll(() => server.close())

const base = "/api/v1/sessions"
const unknownId = "sess_01HZX8K3M9Q2W4E6R8T0Y2V4X6"

const create = async (token = admin, name?: string) => {
  const reply = await call(server, "POST", base, { token, body: name === undefined ? {} : { name } })
  expect(reply.status).toBe(201)
  return wire(Session, reply)
}

const scan = (org: string, sessionId: string, phoneNumber = "628123456789") =>
  Effect.runPromise(server.phone.scan(OrgId.make(org), SessionId.make(sessionId), { phoneNumber, pushName: "Acme Support" }))

/** A session of org-a paired through the QR flow. */
const paired = async () => {
  const session = await create()
  expect((await call(server, "GET", `${base}/${session.sessionId}/qr`, { token: admin })).status).toBe(200)
  await scan("org-a", session.sessionId)
  return session
}

const isoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

describe("POST /sessions", () => {
  it("creates an unpaired session with null identity, 201", async () => {
    const session = await create(admin, "support line")
    expect(session).toMatchObject({
      name: "support line",
      status: "unpaired",
      connected: false,
      phoneNumber: null,
      waJid: null,
      waLid: null,
      pushName: null,
      version: 1
    })
    expect(session.sessionId).toMatch(/^sess_[0-9A-HJKMNP-TV-Z]{26}$/)
    expect(session.createdAt).toMatch(isoTimestamp)
    expect(session.updatedAt).toBe(session.createdAt)
  })

  it("treats a missing or empty body as {}", async () => {
    const none = await call(server, "POST", base, { token: admin })
    expect(none.status).toBe(201)
    expect(wire(Session, none).name).toBe("")
    const empty = await call(server, "POST", base, { token: admin, body: "", headers: { "content-type": "application/json" } })
    expect(empty.status).toBe(201)
  })

  it("accepts a name of 100 characters and refuses 101 with the field named", async () => {
    expect((await call(server, "POST", base, { token: admin, body: { name: "n".repeat(100) } })).status).toBe(201)
    const error = expectEnvelope(await call(server, "POST", base, { token: admin, body: { name: "n".repeat(101) } }), 400, "validation_error")
    expect(error.details).toMatchObject({ issues: [{ field: "name" }] })
  })

  it("counts the name in characters (code points), as JSON Schema's maxLength does", async () => {
    const created = await call(server, "POST", base, { token: admin, body: { name: "📱".repeat(100) } })
    expect(created.status).toBe(201)
    expect(wire(Session, created).name).toBe("📱".repeat(100))
    expectEnvelope(await call(server, "POST", base, { token: admin, body: { name: "📱".repeat(101) } }), 400, "validation_error")
  })

  it.each([["a NUL", "a\u0000b"], ["a lone surrogate", "\ud800"], ["a reversed pair", "\udc00\ud800"]])(
    "refuses a name with %s (the store cannot keep it) with 400 naming the field, not 503",
    async (_, name) => {
      const error = expectEnvelope(await call(server, "POST", base, { token: admin, body: { name } }), 400, "validation_error")
      expect(error.details).toMatchObject({ field: "name" })
    }
  )

  it("refuses unknown fields, a non-string name and a non-object body", async () => {
    const unknown = expectEnvelope(await call(server, "POST", base, { token: admin, body: { name: "x", color: "red" } }), 400, "validation_error")
    expect(unknown.details).toMatchObject({ issues: [{ field: "color" }] })
    expectEnvelope(await call(server, "POST", base, { token: admin, body: { name: 42 } }), 400, "validation_error")
    const array = expectEnvelope(await call(server, "POST", base, { token: admin, body: [] }), 400, "validation_error")
    // Named for the client, not by the schema's internal identifier.
    expect(array.message).toBe("invalid request: Expected the body to be a JSON object")
    expectEnvelope(await call(server, "POST", base, { token: admin, body: "null", headers: { "content-type": "application/json" } }), 400, "validation_error")
  })

  it("needs manage (403) and a token (401)", async () => {
    const forbidden = expectEnvelope(await call(server, "POST", base, { token: reader, body: {} }), 403, "forbidden")
    expect(forbidden.details).toEqual({ capability: "manage" })
    expectEnvelope(await call(server, "POST", base, { body: {} }), 401, "unauthorized")
    expectEnvelope(await call(server, "POST", base, { token: "garbage", body: {} }), 401, "unauthorized")
    expectEnvelope(await call(server, "POST", base, { token: `wag_${"A".repeat(43)}`, body: {} }), 401, "unauthorized")
  })
})

describe("GET /sessions", () => {
  it("lists only the caller's org, newest first, in pages linked by nextPageToken", async () => {
    const org = `org-list-${Date.now()}`
    const key = await server.apiKey(org, ["read", "manage"])
    const created: Array<string> = []
    for (let i = 0; i < 5; i++) created.push((await create(key, `s${i}`)).sessionId)
    await create(other)

    const seen: Array<string> = []
    const pageSizes: Array<number> = []
    let token: string | null = null
    do {
      const query: string = token === null ? "?pageSize=2" : `?pageSize=2&pageToken=${encodeURIComponent(token)}`
      const reply: Reply = await call(server, "GET", base + query, { token: key })
      expect(reply.status).toBe(200)
      const page: typeof SessionList.Encoded = wire(SessionList, reply)
      pageSizes.push(page.sessions.length)
      seen.push(...page.sessions.map((s) => s.sessionId))
      token = page.nextPageToken
    } while (token !== null)

    expect(pageSizes).toEqual([2, 2, 1])
    expect(seen).toEqual([...created].reverse())
  })

  it("defaults to 20 per page", async () => {
    const org = `org-default-${Date.now()}`
    const key = await server.apiKey(org, ["read", "manage"])
    for (let i = 0; i < 21; i++) await create(key)
    const first = wire(SessionList, await call(server, "GET", base, { token: key }))
    expect(first.sessions).toHaveLength(20)
    expect(first.nextPageToken).not.toBeNull()
    const second = wire(SessionList, await call(server, "GET", `${base}?pageToken=${first.nextPageToken}`, { token: key }))
    expect(second.sessions).toHaveLength(1)
    expect(second.nextPageToken).toBeNull()
  })

  it("answers an empty org with no sessions and no next page", async () => {
    const key = await server.apiKey(`org-empty-${Date.now()}`, ["read"])
    expect(wire(SessionList, await call(server, "GET", base, { token: key }))).toEqual({ sessions: [], nextPageToken: null })
  })

  it.each(["0", "101", "abc", "1.5", "-1", "", "1e1", "+5", "0x10", "%201"])("refuses pageSize=%s with 400 naming the field", async (pageSize) => {
    const error = expectEnvelope(await call(server, "GET", `${base}?pageSize=${pageSize}`, { token: admin }), 400, "validation_error")
    expect(error.details).toMatchObject({ field: "pageSize", issues: [{ field: "pageSize" }] })
  })

  const tokenOf = (createdAt: string) => Buffer.from(`${createdAt}|${unknownId}`).toString("base64url")

  it.each([
    "abc",
    "!!!",
    Buffer.from("2026-01-01T00:00:00.000Z|not-a-session").toString("base64url"),
    Buffer.from("x|y|z").toString("base64url"),
    // Dates no token of this API holds: impossible, rolled over, beyond the store, not as toISOString writes them.
    tokenOf("2020-13-45T99:00:00Z"),
    tokenOf(`${"1".repeat(40)}-01-01T00:00:00.000Z`),
    tokenOf("2020-02-30T00:00:00.000Z"),
    tokenOf("-271821-04-20T00:00:00.000Z"),
    tokenOf("+275761-01-01T00:00:00.000Z"),
    tokenOf("2026-01-01T00:00:00Z"),
    tokenOf("2026-01-01")
  ])(
    "refuses a malformed pageToken (%s) with 400",
    async (pageToken) => {
      const error = expectEnvelope(await call(server, "GET", `${base}?pageToken=${encodeURIComponent(pageToken)}`, { token: admin }), 400, "validation_error")
      expect(error.details).toMatchObject({ issues: [{ field: "pageToken" }] })
    }
  )

  it("takes a token at the first instant the store can hold", async () => {
    const reply = await call(server, "GET", `${base}?pageToken=${tokenOf("-004713-11-24T00:00:00.000Z")}`, { token: admin })
    expect(wire(SessionList, reply).sessions).toEqual([])
  })

  it("needs read (403)", async () => {
    expectEnvelope(await call(server, "GET", base, { token: manager }), 403, "forbidden")
    expectEnvelope(await call(server, "GET", base), 401, "unauthorized")
  })
})

describe("GET /sessions/{session}", () => {
  it("returns the session", async () => {
    const session = await create(admin, "one")
    const reply = await call(server, "GET", `${base}/${session.sessionId}`, { token: reader })
    expect(reply.status).toBe(200)
    expect(wire(Session, reply)).toEqual(session)
  })

  it("answers 404 for an unknown id, a malformed id, and another org's session", async () => {
    const session = await create()
    expectEnvelope(await call(server, "GET", `${base}/${unknownId}`, { token: admin }), 404, "not_found")
    expectEnvelope(await call(server, "GET", `${base}/not-a-session`, { token: admin }), 404, "not_found")
    const foreign = expectEnvelope(await call(server, "GET", `${base}/${session.sessionId}`, { token: other }), 404, "not_found")
    expect(foreign).toEqual({ code: "not_found", message: "session not found", details: {} })
  })

  it("needs read (403)", async () => {
    const session = await create()
    expectEnvelope(await call(server, "GET", `${base}/${session.sessionId}`, { token: manager }), 403, "forbidden")
  })
})

describe("GET /sessions/{session}/qr", () => {
  it("starts QR pairing and returns the current QR while pairing", async () => {
    const session = await create()
    const first = await call(server, "GET", `${base}/${session.sessionId}/qr`, { token: admin })
    expect(first.status).toBe(200)
    const qr = wire(QrCode, first)
    expect(qr.qr.length).toBeGreaterThan(0)
    expect(qr.expiresAt).toMatch(isoTimestamp)
    const state = wire(Session, await call(server, "GET", `${base}/${session.sessionId}`, { token: admin }))
    expect(state.status).toBe("pairing")
    const again = wire(QrCode, await call(server, "GET", `${base}/${session.sessionId}/qr`, { token: admin }))
    expect(again.qr).toBe(qr.qr)
  })

  it("returns a PNG with Accept: image/png", async () => {
    const session = await create()
    const response = await fetch(`${server.baseUrl}${base}/${session.sessionId}/qr`, {
      headers: { authorization: `Bearer ${admin}`, accept: "image/png" }
    })
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toBe("image/png")
    const bytes = new Uint8Array(await response.arrayBuffer())
    expect([...bytes.slice(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  })

  it("answers 400 when paired, 404 when unknown, 403 without manage", async () => {
    const session = await paired()
    expectEnvelope(await call(server, "GET", `${base}/${session.sessionId}/qr`, { token: admin }), 400, "validation_error")
    expectEnvelope(await call(server, "GET", `${base}/${unknownId}/qr`, { token: admin }), 404, "not_found")
    expectEnvelope(await call(server, "GET", `${base}/${session.sessionId}/qr`, { token: other }), 404, "not_found")
    expectEnvelope(await call(server, "GET", `${base}/${session.sessionId}/qr`, { token: reader }), 403, "forbidden")
  })

  it("restarts QR pairing for a logged-out session", async () => {
    const session = await paired()
    expect((await call(server, "POST", `${base}/${session.sessionId}:logout`, { token: admin })).status).toBe(200)
    expect((await call(server, "GET", `${base}/${session.sessionId}/qr`, { token: admin })).status).toBe(200)
  })
})

describe("POST /sessions/{session}:requestPairingCode (seed)", () => {
  it("returns a code shaped like ABCD-1234", async () => {
    const session = await create()
    const reply = await call(server, "POST", `${base}/${session.sessionId}:requestPairingCode`, {
      token: admin,
      body: { phone: "628123456789" }
    })
    expect(reply.status).toBe(200)
    const code = wire(PairingCode, reply)
    expect(code.code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/)
    expect(code.expiresAt).toMatch(isoTimestamp)
  })

  it("routes the escaped colon too (%3A)", async () => {
    const session = await create()
    const reply = await call(server, "POST", `${base}/${session.sessionId}%3ArequestPairingCode`, {
      token: admin,
      body: { phone: "628123456789" }
    })
    expect(reply.status).toBe(200)
  })

  it.each([
    ["a leading +", "+628123456789"],
    ["letters", "62812abc4567"],
    ["too short (7 digits)", "1234567"],
    ["too long (16 digits)", "1234567890123456"],
    ["spaces", "62 812 3456 789"],
    ["empty", ""]
  ])("answers 400 validation_error for %s", async (_, phone) => {
    const session = await create()
    const error = expectEnvelope(
      await call(server, "POST", `${base}/${session.sessionId}:requestPairingCode`, { token: admin, body: { phone } }),
      400,
      "validation_error"
    )
    expect(error.details).toMatchObject({ field: "phone", issues: [{ field: "phone" }] })
  })

  it("accepts the bounds: 8 and 15 digits", async () => {
    for (const phone of ["12345678", "123456789012345"]) {
      const session = await create()
      const reply = await call(server, "POST", `${base}/${session.sessionId}:requestPairingCode`, { token: admin, body: { phone } })
      expect(reply.status).toBe(200)
    }
  })

  it("answers 400 for a missing phone, unknown fields, and when already paired", async () => {
    const session = await create()
    const path = `${base}/${session.sessionId}:requestPairingCode`
    expectEnvelope(await call(server, "POST", path, { token: admin, body: {} }), 400, "validation_error")
    expectEnvelope(await call(server, "POST", path, { token: admin }), 400, "validation_error")
    expectEnvelope(await call(server, "POST", path, { token: admin, body: { phone: "628123456789", x: 1 } }), 400, "validation_error")
    const pairedSession = await paired()
    const error = expectEnvelope(
      await call(server, "POST", `${base}/${pairedSession.sessionId}:requestPairingCode`, { token: admin, body: { phone: "628123456789" } }),
      400,
      "validation_error"
    )
    expect(error.message).toBe("the session is already paired")
  })

  it("answers 404 for unknown or foreign sessions and 403 without manage", async () => {
    const session = await create()
    const body = { phone: "628123456789" }
    expectEnvelope(await call(server, "POST", `${base}/${unknownId}:requestPairingCode`, { token: admin, body }), 404, "not_found")
    expectEnvelope(await call(server, "POST", `${base}/${session.sessionId}:requestPairingCode`, { token: other, body }), 404, "not_found")
    expectEnvelope(await call(server, "POST", `${base}/${session.sessionId}:requestPairingCode`, { token: reader, body }), 403, "forbidden")
    expectEnvelope(await call(server, "POST", `${base}/${session.sessionId}:requestPairingCode`, { body }), 401, "unauthorized")
  })
})

describe("POST /sessions/{session}:logout", () => {
  it("logs a paired session out: status logged_out, identity cleared", async () => {
    const session = await paired()
    const reply = await call(server, "POST", `${base}/${session.sessionId}:logout`, { token: admin })
    expect(reply.status).toBe(200)
    expect(wire(Session, reply)).toMatchObject({
      sessionId: session.sessionId,
      status: "logged_out",
      phoneNumber: null,
      waJid: null,
      waLid: null,
      pushName: null
    })
  })

  it("answers 400 when not paired, 404 when unknown or foreign, 403 without manage", async () => {
    const session = await create()
    const notPaired = expectEnvelope(await call(server, "POST", `${base}/${session.sessionId}:logout`, { token: admin }), 400, "validation_error")
    expect(notPaired.message).toBe("the session is not paired")
    expectEnvelope(await call(server, "POST", `${base}/${unknownId}:logout`, { token: admin }), 404, "not_found")
    expectEnvelope(await call(server, "POST", `${base}/${session.sessionId}:logout`, { token: other }), 404, "not_found")
    expectEnvelope(await call(server, "POST", `${base}/${session.sessionId}:logout`, { token: reader }), 403, "forbidden")
  })
})

describe("DELETE /sessions/{session} (seed)", () => {
  it("answers 204 with no body, then 404 everywhere", async () => {
    const session = await paired()
    const reply = await call(server, "DELETE", `${base}/${session.sessionId}`, { token: admin })
    expect(reply.status).toBe(204)
    expect(reply.text).toBe("")
    expectEnvelope(await call(server, "GET", `${base}/${session.sessionId}`, { token: admin }), 404, "not_found")
    expectEnvelope(await call(server, "DELETE", `${base}/${session.sessionId}`, { token: admin }), 404, "not_found")
    expectEnvelope(await call(server, "GET", `${base}/${session.sessionId}/me`, { token: admin }), 404, "not_found")
    expectEnvelope(await call(server, "GET", `${base}/${session.sessionId}/events`, { token: admin }), 404, "not_found")
    const list = wire(SessionList, await call(server, "GET", `${base}?pageSize=100`, { token: admin }))
    expect(list.sessions.map((s) => s.sessionId)).not.toContain(session.sessionId)
  })

  it("answers 404 for unknown or foreign sessions and 403 without manage", async () => {
    const session = await create()
    expectEnvelope(await call(server, "DELETE", `${base}/${unknownId}`, { token: admin }), 404, "not_found")
    expectEnvelope(await call(server, "DELETE", `${base}/${session.sessionId}`, { token: other }), 404, "not_found")
    expectEnvelope(await call(server, "DELETE", `${base}/${session.sessionId}`, { token: reader }), 403, "forbidden")
    expect((await call(server, "GET", `${base}/${session.sessionId}`, { token: admin })).status).toBe(200)
  })
})

describe("GET /sessions/{session}/me (seed)", () => {
  it("answers 404 before pairing, and the identity after", async () => {
    const session = await create()
    const before = expectEnvelope(await call(server, "GET", `${base}/${session.sessionId}/me`, { token: admin }), 404, "not_found")
    expect(before.message).toBe("session not found")
    await call(server, "GET", `${base}/${session.sessionId}/qr`, { token: admin })
    expectEnvelope(await call(server, "GET", `${base}/${session.sessionId}/me`, { token: admin }), 404, "not_found")
    await scan("org-a", session.sessionId, "628123456789")

    const reply = await call(server, "GET", `${base}/${session.sessionId}/me`, { token: admin })
    expect(reply.status).toBe(200)
    const me = wire(Me, reply)
    expect(Object.keys(me).sort()).toEqual(["connected", "phoneNumber", "pushName", "sessionId", "status", "waJid", "waLid"])
    expect(me).toMatchObject({ sessionId: session.sessionId, status: "paired", phoneNumber: "628123456789", pushName: "Acme Support" })
    expect(me.waJid).toMatch(/^628123456789(:\d+)?@s\.whatsapp\.net$/)
  })

  it("answers 404 for unknown or foreign sessions and 403 without manage", async () => {
    const session = await paired()
    expectEnvelope(await call(server, "GET", `${base}/${unknownId}/me`, { token: admin }), 404, "not_found")
    expectEnvelope(await call(server, "GET", `${base}/${session.sessionId}/me`, { token: other }), 404, "not_found")
    expectEnvelope(await call(server, "GET", `${base}/${session.sessionId}/me`, { token: reader }), 403, "forbidden")
  })
})

describe("GET /sessions/{session}/events", () => {
  it("lists the session's own events, oldest first, with increasing numeric positions", async () => {
    const session = await paired()
    const reply = await call(server, "GET", `${base}/${session.sessionId}/events`, { token: reader })
    expect(reply.status).toBe(200)
    const { events } = wire(SessionEvents, reply)
    expect(events.map((e) => e.type)).toEqual(["SessionCreated", "PairingStarted", "SessionPaired"])
    expect(events.map((e) => e.version)).toEqual([1, 2, 3])
    const positions = events.map((e) => e.position)
    expect(positions.every((p) => Number.isSafeInteger(p))).toBe(true)
    expect([...positions].sort((a, b) => a - b)).toEqual(positions)
    expect(new Set(positions).size).toBe(positions.length)
    expect(events[1]?.data).toEqual({ method: "qr" })
    expect(events[2]?.data).toMatchObject({ phoneNumber: "628123456789", pushName: "Acme Support" })
    for (const event of events) expect(event.occurredAt).toMatch(isoTimestamp)
  })

  it("answers 404 for unknown or foreign sessions and 403 without read", async () => {
    const session = await create()
    expectEnvelope(await call(server, "GET", `${base}/${unknownId}/events`, { token: admin }), 404, "not_found")
    expectEnvelope(await call(server, "GET", `${base}/${session.sessionId}/events`, { token: other }), 404, "not_found")
    expectEnvelope(await call(server, "GET", `${base}/${session.sessionId}/events`, { token: manager }), 403, "forbidden")
  })
})
