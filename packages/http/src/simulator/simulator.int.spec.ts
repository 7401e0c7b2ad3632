import { Context, Effect, Exit, Layer, Logger, LogLevel, Option, Redacted, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { EngineName } from "@wa-gateway/adapters"
import { OrgId } from "@wa-gateway/domain"
import { ApiKeys } from "../auth/api-keys.js"
import { authenticatorLayer } from "../auth/authenticator-live.js"
import { serverPort } from "../server.js"
import { serverOnEngine } from "../server.spec-helper.js"

// The real server on a free port, with API keys, over the simulator or an engine without a phone.

const noJwt = { jwksUrl: Option.none(), issuer: Option.none(), audience: Option.none(), orgClaim: "org_id", roleClaim: "role" }

interface Server {
  readonly url: string
  readonly key: (org: string, capabilities: ReadonlyArray<"read" | "manage">) => Promise<string>
  readonly close: () => Promise<void>
}

const startServer = async (engine: EngineName): Promise<Server> => {
  const layer = serverOnEngine(engine, authenticatorLayer(noJwt).pipe(Layer.provideMerge(ApiKeys.Live))).pipe(
    Layer.provide(Logger.minimumLogLevel(LogLevel.Error))
  )
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
  const port = Effect.runSync(Effect.provide(serverPort, context))
  const apiKeys = Context.get(context, ApiKeys)
  return {
    url: `http://127.0.0.1:${port}`,
    key: async (org, capabilities) => {
      const [first, ...rest] = capabilities
      if (first === undefined) throw new Error("a key needs a capability")
      const created = await Effect.runPromise(apiKeys.create({ orgId: OrgId.make(org), capabilities: [first, ...rest], label: null }))
      return Redacted.value(created.key)
    },
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

const phone = "628123456789"

let server: Server
let manager = ""

const call = async (method: string, path: string, options: { body?: unknown; raw?: string; key?: string } = {}) => {
  const headers: Record<string, string> = { authorization: `Bearer ${options.key ?? manager}` }
  let body: string | undefined
  if (options.raw !== undefined || options.body !== undefined) {
    headers["content-type"] = "application/json"
    body = options.raw ?? JSON.stringify(options.body)
  }
  const response = await fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) })
  const text = await response.text()
  return { status: response.status, json: text === "" ? undefined : JSON.parse(text) as Record<string, any> }
}

const newSession = async () => (await call("POST", "/api/v1/sessions", { body: { name: "sim" } })).json?.["sessionId"] as string
const sim = (sessionId: string, method: string) => `/simulator/v1/sessions/${sessionId}:${method}`

const pairedSession = async () => {
  const sessionId = await newSession()
  await call("GET", `/api/v1/sessions/${sessionId}/qr`)
  await call("POST", sim(sessionId, "scan"), { body: { phoneNumber: phone } })
  return sessionId
}

beforeAll(async () => {
  server = await startServer("simulator")
  manager = await server.key("acme", ["read", "manage"])
})
afterAll(async () => {
  await server.close()
})

describe("/simulator/v1 over HTTP", () => {
  it("pairs by scan, unlinks, pairs by code, and drops the connection, each answering the session", async () => {
    const sessionId = await newSession()
    expect((await call("GET", `/api/v1/sessions/${sessionId}/qr`)).status).toBe(200)

    const scanned = await call("POST", sim(sessionId, "scan"), { body: { phoneNumber: phone, pushName: "Acme Support" } })
    expect(scanned.status).toBe(200)
    expect(scanned.json).toMatchObject({ sessionId, status: "paired", connected: true, phoneNumber: phone, pushName: "Acme Support" })
    expect(scanned.json?.["waJid"]).toMatch(/^628123456789:\d+@s\.whatsapp\.net$/)

    const unlinked = await call("POST", sim(sessionId, "unlink"))
    expect(unlinked).toMatchObject({ status: 200, json: { status: "logged_out", connected: false, waJid: null } })

    const code = await call("POST", `/api/v1/sessions/${sessionId}:requestPairingCode`, { body: { phone } })
    expect(code.status).toBe(200)
    const entered = await call("POST", sim(sessionId, "enterCode"), { body: { code: code.json?.["code"] } })
    expect(entered).toMatchObject({ status: 200, json: { status: "paired", connected: true, phoneNumber: phone } })

    const dropped = await call("POST", sim(sessionId, "dropConnection"), { body: { reconnectAfterMs: 20 } })
    expect(dropped).toMatchObject({ status: 200, json: { status: "paired", connected: false } })
    let current = await call("GET", `/api/v1/sessions/${sessionId}`)
    for (let i = 0; i < 200 && current.json?.["connected"] !== true; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      current = await call("GET", `/api/v1/sessions/${sessionId}`)
    }
    expect(current.json).toMatchObject({ status: "paired", connected: true })
  })

  it("takes :dropConnection without a body (reconnect after the default delay)", async () => {
    const sessionId = await pairedSession()
    const dropped = await call("POST", sim(sessionId, "dropConnection"))
    expect(dropped).toMatchObject({ status: 200, json: { connected: false } })
  })

  it("answers 400 when the phone's action does not fit the session", async () => {
    const sessionId = await newSession()
    const noQr = await call("POST", sim(sessionId, "scan"), { body: { phoneNumber: phone } })
    expect(noQr).toMatchObject({ status: 400, json: { error: { code: "validation_error", details: { reason: "no_qr_showing" } } } })

    await call("POST", `/api/v1/sessions/${sessionId}:requestPairingCode`, { body: { phone } })
    const wrong = await call("POST", sim(sessionId, "enterCode"), { body: { code: "0000-0000" } })
    expect(wrong).toMatchObject({ status: 400, json: { error: { code: "validation_error", details: { reason: "wrong_code" } } } })

    for (const action of ["unlink", "dropConnection"]) {
      const notLinked = await call("POST", sim(sessionId, action))
      expect(notLinked).toMatchObject({ status: 400, json: { error: { code: "validation_error", details: { reason: "not_linked" } } } })
    }
  })

  it("answers 400 in the envelope for malformed bodies", async () => {
    const sessionId = await newSession()
    await call("GET", `/api/v1/sessions/${sessionId}/qr`)
    const bodies: ReadonlyArray<[string, { body?: unknown; raw?: string }]> = [
      ["scan", { body: { phoneNumber: "+628123456789" } }],
      ["scan", { body: { phoneNumber: phone, extra: true } }],
      ["scan", { body: {} }],
      ["enterCode", { body: { code: "" } }],
      ["dropConnection", { body: { reconnectAfterMs: -1 } }],
      ["dropConnection", { body: { reconnectAfterMs: 1.5 } }],
      ["dropConnection", { raw: "{not json" }]
    ]
    for (const [action, options] of bodies) {
      const response = await call("POST", sim(sessionId, action), options)
      expect({ action, options, status: response.status, code: response.json?.["error"]?.["code"] }).toEqual({
        action,
        options,
        status: 400,
        code: "validation_error"
      })
    }
    // Nothing happened to the session.
    expect((await call("GET", `/api/v1/sessions/${sessionId}`)).json?.["status"]).toBe("pairing")
  })

  it("refuses text the store cannot keep (NUL, a lone surrogate) in pushName, phoneNumber and code with 400 naming the field", async () => {
    const sessionId = await newSession()
    await call("GET", `/api/v1/sessions/${sessionId}/qr`)
    for (const bad of ["a\u0000b", "\ud800"]) {
      for (const [action, body, field] of [
        ["scan", { phoneNumber: phone, pushName: bad }, "pushName"],
        ["scan", { phoneNumber: `62812${bad}`, pushName: "ok" }, "phoneNumber"],
        ["enterCode", { code: "ABCD-1234", pushName: bad }, "pushName"]
      ] as const) {
        const response = await call("POST", sim(sessionId, action), { body })
        expect({ action, field, status: response.status, details: response.json?.["error"]?.["details"] }).toEqual({
          action,
          field,
          status: 400,
          details: expect.objectContaining({ field })
        })
      }
      // A code is only compared, never stored: one with NUL is simply wrong.
      const code = await call("POST", sim(sessionId, "enterCode"), { body: { code: `ABCD${bad}` } })
      expect(code.status).toBe(400)
    }
    // The QR is still showing: nothing was paired with a refused name.
    expect((await call("GET", `/api/v1/sessions/${sessionId}`)).json?.["status"]).toBe("pairing")
  })

  it("names one failing field once in details (an optional field is not also reported as 'expected undefined')", async () => {
    const sessionId = await newSession()
    await call("GET", `/api/v1/sessions/${sessionId}/qr`)
    for (const [action, body, field] of [
      ["dropConnection", { reconnectAfterMs: "soon" }, "reconnectAfterMs"],
      ["scan", { phoneNumber: phone, pushName: 42 }, "pushName"]
    ] as const) {
      const details = (await call("POST", sim(sessionId, action), { body })).json?.["error"]?.["details"]
      expect(details).toEqual({ field, issues: [{ field, message: expect.any(String) }] })
    }
  })

  it("answers 404 for unknown, malformed and other orgs' sessions; 403 without manage; 401 without a token", async () => {
    const sessionId = await pairedSession()
    const unknown = "sess_01HZX8K3M9ABCDEFGHJKMNPQRS"
    expect((await call("POST", sim(unknown, "unlink"))).status).toBe(404)
    expect((await call("POST", sim("not-an-id", "unlink"))).status).toBe(404)
    const otherOrg = await server.key("other", ["read", "manage"])
    const foreign = await call("POST", sim(sessionId, "unlink"), { key: otherOrg })
    expect(foreign).toMatchObject({ status: 404, json: { error: { code: "not_found" } } })
    const reader = await server.key("acme", ["read"])
    expect((await call("POST", sim(sessionId, "unlink"), { key: reader })).json?.["error"]?.["code"]).toBe("forbidden")
    expect((await call("POST", sim(sessionId, "unlink"), { key: "garbage" })).status).toBe(401)
    // The session is untouched by all of that.
    expect((await call("GET", `/api/v1/sessions/${sessionId}`)).json).toMatchObject({ status: "paired", connected: true })
  })

  it("routes the custom method with an encoded colon too", async () => {
    const sessionId = await pairedSession()
    const response = await call("POST", `/simulator/v1/sessions/${sessionId}%3Aunlink`)
    expect(response).toMatchObject({ status: 200, json: { status: "logged_out" } })
  })

  it("does not mount the simulator routes on another engine: they are unknown routes (404)", async () => {
    const baileys = await startServer("baileys")
    try {
      const key = await baileys.key("acme", ["read", "manage"])
      const created = await fetch(`${baileys.url}/api/v1/sessions`, { method: "POST", headers: { authorization: `Bearer ${key}` } })
      const { sessionId } = await created.json() as { sessionId: string }
      const response = await fetch(`${baileys.url}${sim(sessionId, "unlink")}`, { method: "POST", headers: { authorization: `Bearer ${key}` } })
      expect(response.status).toBe(404)
      expect(await response.json()).toMatchObject({ error: { code: "not_found", message: "route not found" } })
    } finally {
      await baileys.close()
    }
  })
})
