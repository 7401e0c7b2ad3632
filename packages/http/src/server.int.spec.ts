import { Effect } from "effect"
import { StoreUnavailable } from "@wa-gateway/domain"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Health, Readiness } from "./health/api.js"
import { Session } from "./sessions/api.js"
import { call, expectEnvelope, type LogEntry, startTestServer, type TestServer, wire } from "./server.spec-helper.js"

describe("probes and request ids", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
  })
  afterAll(() => server.close())

  it("answers /healthz and /readyz 200 without a token", async () => {
    expect(wire(Health, await call(server, "GET", "/healthz"))).toEqual({ status: "ok" })
    expect(wire(Readiness, await call(server, "GET", "/readyz"))).toEqual({ status: "ok", engine: "simulator", resuming: 0, warnings: [] })
  })

  it("gives every response an x-request-id, keeping a sane one from the caller", async () => {
    const generated = await call(server, "GET", "/healthz")
    expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
    const kept = await call(server, "GET", "/healthz", { headers: { "x-request-id": "trace-42.a:b" } })
    expect(kept.headers.get("x-request-id")).toBe("trace-42.a:b")
    const replaced = await call(server, "GET", "/nope", { headers: { "x-request-id": "bad id\twith<script>" } })
    expect(replaced.status).toBe(404)
    expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
  })

  it("serves /openapi.json and the /docs reference without a token", async () => {
    const spec = await call(server, "GET", "/openapi.json")
    expect(spec.status).toBe(200)
    expect(spec.body).toMatchObject({ openapi: "3.1.0", info: { title: "wa-gateway" } })
    const docs = await fetch(`${server.baseUrl}/docs`)
    expect(docs.status).toBe(200)
    expect(docs.headers.get("content-type")).toContain("text/html")
    expect(await docs.text()).toContain("<html")
  })
})

describe("when the store or the code fails", () => {
  const logs: Array<LogEntry> = []
  let server: TestServer
  let key: string
  beforeAll(async () => {
    server = await startTestServer({
      logs,
      gateway: (real) => ({
        ...real,
        ready: Effect.fail(new StoreUnavailable({ message: "connect ECONNREFUSED 127.0.0.1:5432" })),
        list: () => Effect.fail(new StoreUnavailable({ message: "connect ECONNREFUSED 127.0.0.1:5432" })),
        events: () => Effect.die(new Error("boom: secret internals"))
      })
    })
    key = await server.apiKey("org-a", ["read", "manage"])
  })
  afterAll(() => server.close())

  it("answers /readyz 503 unavailable", async () => {
    const error = expectEnvelope(await call(server, "GET", "/readyz"), 503, "unavailable")
    expect(error.message).not.toContain("ECONNREFUSED")
  })

  it("answers 503 with a generic message and logs the internal reason", async () => {
    const reply = await call(server, "GET", "/api/v1/sessions", { token: key })
    const error = expectEnvelope(reply, 503, "unavailable")
    expect(reply.text).not.toContain("ECONNREFUSED")
    expect(error.details).toEqual({})
    const requestId = reply.headers.get("x-request-id")
    const logged = logs.find((entry) => entry.annotations["requestId"] === requestId && entry.level === "WARN")
    expect(logged?.annotations).toMatchObject({ error: "StoreUnavailable", reason: "connect ECONNREFUSED 127.0.0.1:5432" })
  })

  it("answers a defect 500 internal, generic, with the cause logged under the request id", async () => {
    const created = wire(Session, await call(server, "POST", "/api/v1/sessions", { token: key }))
    const reply = await call(server, "GET", `/api/v1/sessions/${created.sessionId}/events`, { token: key })
    expect(expectEnvelope(reply, 500, "internal")).toEqual({ code: "internal", message: "internal error", details: {} })
    expect(reply.text).not.toContain("boom")
    const requestId = reply.headers.get("x-request-id")
    const logged = logs.find((entry) => entry.annotations["requestId"] === requestId && entry.level === "ERROR")
    expect(logged?.cause).toContain("boom: secret internals")
  })

  it("logs no error and no stack trace for a client's mistake", async () => {
    const before = logs.length
    const replies = [
      await call(server, "POST", "/api/v1/sessions", { token: key, body: "{not json" }),
      await call(server, "POST", "/api/v1/sessions/sess_01HZX8K3M9Q2W4E6R8T0Y2V4X6:requestPairingCode", {
        token: key,
        body: "{not json",
        headers: { "content-type": "application/json" }
      }),
      await call(server, "GET", "/no/such/route", { token: key }),
      await call(server, "GET", "/api/v1/sessions?pageSize=0", { token: key }),
      await call(server, "GET", "/api/v1/sessions/x", { token: "garbage" })
    ]
    expect(replies.map((r) => r.status)).toEqual([400, 400, 404, 400, 401])
    const added = logs.slice(before)
    expect(added.filter((entry) => entry.level === "ERROR" || entry.level === "FATAL")).toEqual([])
    expect(added.filter((entry) => entry.cause !== "")).toEqual([])
  })

  it("logs one line per request with method, path, status and duration", async () => {
    const reply = await call(server, "GET", "/healthz")
    const requestId = reply.headers.get("x-request-id")
    const line = logs.find((entry) => entry.message === "request" && entry.annotations["requestId"] === requestId)
    expect(line?.annotations).toMatchObject({ method: "GET", path: "/healthz", status: 200 })
    expect(typeof line?.annotations["durationMs"]).toBe("number")
  })
})

describe("shutdown", () => {
  it("lets an in-flight request finish when the server closes, then refuses new connections", async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let entered: () => void = () => {}
    const inFlight = new Promise<void>((resolve) => {
      entered = resolve
    })
    const server = await startTestServer({
      gateway: (real) => ({
        ...real,
        get: (orgId, sessionId) =>
          Effect.zipRight(
            Effect.promise(() => {
              entered()
              return gate
            }),
            real.get(orgId, sessionId)
          )
      })
    })
    const key = await server.apiKey("org-a", ["read", "manage"])
    const created = wire(Session, await call(server, "POST", "/api/v1/sessions", { token: key }))

    const pending = call(server, "GET", `/api/v1/sessions/${created.sessionId}`, { token: key })
    await inFlight
    const closed = server.close()
    release()
    const reply = await pending
    await closed

    expect(reply.status).toBe(200)
    expect(wire(Session, reply).sessionId).toBe(created.sessionId)
    await expect(fetch(`${server.baseUrl}/healthz`)).rejects.toThrow()
  })
})

describe("when the store is down during authentication", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({
      authenticator: { authenticate: () => Effect.fail(new StoreUnavailable({ message: "connect ECONNREFUSED" })), recall: () => undefined }
    })
  })
  afterAll(() => server.close())

  it("answers 503 unavailable, not 401", async () => {
    const reply = await call(server, "GET", "/api/v1/sessions", { token: "wag_anything" })
    expectEnvelope(reply, 503, "unavailable")
    expect(reply.text).not.toContain("ECONNREFUSED")
  })

  it("still answers a missing token 401 without asking the store", async () => {
    expectEnvelope(await call(server, "GET", "/api/v1/sessions"), 401, "unauthorized")
  })
})

describe("on the baileys engine when WhatsApp cannot be reached", () => {
  let server: TestServer
  let key: string
  let sessionId: string
  beforeAll(async () => {
    server = await startTestServer({ engine: "baileys" })
    key = await server.apiKey("org-a", ["read", "manage"])
    sessionId = wire(Session, await call(server, "POST", "/api/v1/sessions", { token: key })).sessionId
  })
  afterAll(() => server.close())

  it("answers pairing 503 unavailable within 30 s, never a crash or a hang", async () => {
    const started = Date.now()
    const qr = await call(server, "GET", `/api/v1/sessions/${sessionId}/qr`, { token: key })
    expectEnvelope(qr, 503, "unavailable")
    expect(JSON.stringify(qr.body)).toContain("could not be reached")
    expectEnvelope(
      await call(server, "POST", `/api/v1/sessions/${sessionId}:requestPairingCode`, { token: key, body: { phone: "628123456789" } }),
      503,
      "unavailable"
    )
    expect(Date.now() - started).toBeLessThan(30_000)
    // The simulated phone's routes exist only on the simulator engine.
    expectEnvelope(await call(server, "POST", `/simulator/v1/sessions/${sessionId}:unlink`, { token: key }), 404, "not_found")
  })

  it("reports the engine and the test server it was pointed at on /readyz", async () => {
    expect(wire(Readiness, await call(server, "GET", "/readyz"))).toEqual({
      status: "ok",
      engine: "baileys",
      resuming: 0,
      warnings: [expect.stringMatching(/^WA_SERVER_URL is set: sessions connect to ws:\/\/127\.0\.0\.1:1, not to WhatsApp/)]
    })
  })

  it("still serves what needs no engine", async () => {
    expect((await call(server, "GET", `/api/v1/sessions/${sessionId}`, { token: key })).status).toBe(200)
    expect((await call(server, "GET", `/api/v1/sessions/${sessionId}/events`, { token: key })).status).toBe(200)
    expectEnvelope(await call(server, "GET", `/api/v1/sessions/${sessionId}/me`, { token: key }), 404, "not_found")
    expectEnvelope(await call(server, "POST", `/api/v1/sessions/${sessionId}:logout`, { token: key }), 400, "validation_error")
    expect((await call(server, "DELETE", `/api/v1/sessions/${sessionId}`, { token: key })).status).toBe(204)
  })
})
