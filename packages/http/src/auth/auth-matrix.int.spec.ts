import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Context, Effect, Exit, Layer, LogLevel, Logger, Option, Redacted, Scope } from "effect"
import { EventFeed, SimulatedPhoneGateway } from "@wa-gateway/adapters"
import { OrgId } from "@wa-gateway/domain"
import { startTestJwtIssuer, type TestJwtIssuer } from "@wa-gateway/testkit"
import { call, expectEnvelope, simulatorServer, type TestServer, wire } from "../server.spec-helper.js"
import { Session } from "../sessions/api.js"
import { serverPort } from "../server.js"
import { ApiKeys } from "./api-keys.js"
import { authenticatorLayer } from "./authenticator-live.js"

// The auth matrix of issue 3 over real HTTP: the server checks login JWTs
// against the test issuer's JWKS and API keys against the in-memory store.

let issuer: TestJwtIssuer
let server: TestServer
let apiKeys: Context.Tag.Service<ApiKeys>
let scope: Scope.CloseableScope

beforeAll(async () => {
  issuer = await startTestJwtIssuer()
  const settings = {
    jwksUrl: Option.some(new URL(issuer.jwksUrl)),
    issuer: Option.some(issuer.issuer),
    audience: Option.some(issuer.audience),
    orgClaim: "org_id",
    roleClaim: "role"
  }
  // Cooldown 0: a key published during a test is seen on the next unknown kid
  // (production waits up to 30 s), so the refetch is observable without sleeping.
  const layer = simulatorServer(authenticatorLayer(settings, { jwksCooldownMs: 0 }).pipe(Layer.provideMerge(ApiKeys.Live))).pipe(
    Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
  )
  scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
  apiKeys = Context.get(context, ApiKeys)
  server = {
    baseUrl: `http://127.0.0.1:${Effect.runSync(Effect.provide(serverPort, context))}`,
    apiKey: () => Promise.reject(new Error("use createKey")),
    phone: Context.get(context, SimulatedPhoneGateway),
    subscribers: () => Effect.runSync(Context.get(context, EventFeed).subscribers),
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
})

afterAll(async () => {
  await server?.close()
  await issuer?.close()
})

const createKey = async (org: string, capabilities: readonly ["read" | "manage", ...Array<"read" | "manage">]) => {
  const created = await Effect.runPromise(apiKeys.create({ orgId: OrgId.make(org), capabilities, label: null }))
  return { id: created.info.id, key: Redacted.value(created.key) }
}

const jwt = (org: string, role: string) => issuer.mint({ org, role, sub: `${role}@${org}` })

const createSession = async (token: string): Promise<string> => {
  const reply = await call(server, "POST", "/api/v1/sessions", { token, body: { name: "matrix" } })
  expect(reply.status).toBe(201)
  return wire(Session, reply).sessionId
}

describe("authentication over HTTP", () => {
  it("no Authorization header is 401", async () => {
    expectEnvelope(await call(server, "GET", "/api/v1/sessions"), 401, "unauthorized")
  })

  it("a garbage, empty or non-bearer credential is 401", async () => {
    expectEnvelope(await call(server, "GET", "/api/v1/sessions", { token: "garbage" }), 401, "unauthorized")
    expectEnvelope(await call(server, "GET", "/api/v1/sessions", { token: "a.b.c" }), 401, "unauthorized")
    expectEnvelope(await call(server, "GET", "/api/v1/sessions", { headers: { authorization: "Bearer " } }), 401, "unauthorized")
    const { key } = await createKey("acme", ["read"])
    expectEnvelope(await call(server, "GET", "/api/v1/sessions", { headers: { authorization: `Basic ${key}` } }), 401, "unauthorized")
  })

  it("a valid owner JWT may create and read its org's sessions", async () => {
    const token = await jwt("acme", "owner")
    const sessionId = await createSession(token)
    const reply = await call(server, "GET", `/api/v1/sessions/${sessionId}`, { token })
    expect(reply.status).toBe(200)
    expect(reply.body).toMatchObject({ sessionId, name: "matrix" })
  })

  it("an expired JWT is 401", async () => {
    const token = await issuer.mint({ org: "acme", role: "owner", expiresIn: -60 })
    expectEnvelope(await call(server, "GET", "/api/v1/sessions", { token }), 401, "unauthorized")
  })

  it("a JWT without exp is 401", async () => {
    const token = await issuer.mint({ org: "acme", role: "owner", expiresIn: null })
    expectEnvelope(await call(server, "GET", "/api/v1/sessions", { token }), 401, "unauthorized")
  })

  it("a JWT with the wrong iss or aud is 401", async () => {
    const wrongIss = await issuer.mint({ org: "acme", role: "owner", iss: "https://evil.test" })
    const wrongAud = await issuer.mint({ org: "acme", role: "owner", aud: "another-service" })
    expectEnvelope(await call(server, "GET", "/api/v1/sessions", { token: wrongIss }), 401, "unauthorized")
    expectEnvelope(await call(server, "GET", "/api/v1/sessions", { token: wrongAud }), 401, "unauthorized")
  })

  it("alg none is 401", async () => {
    const token = issuer.mintUnsigned({ org: "acme", role: "owner" })
    expectEnvelope(await call(server, "GET", "/api/v1/sessions", { token }), 401, "unauthorized")
  })

  it("HS256 signed with the public key (RS/HS confusion) is 401", async () => {
    const token = await issuer.mintWithPublicKeyAsHmacSecret({ org: "acme", role: "owner" })
    expectEnvelope(await call(server, "GET", "/api/v1/sessions", { token }), 401, "unauthorized")
  })

  it("an unknown kid refetches the JWKS once and is 401; once the key is published it is accepted", async () => {
    const kid = await issuer.addKey({ publish: false })
    const token = await issuer.mint({ org: "acme", role: "member", kid })
    const before = issuer.jwksFetches
    expectEnvelope(await call(server, "GET", "/api/v1/sessions", { token }), 401, "unauthorized")
    expect(issuer.jwksFetches).toBe(before + 1)
    issuer.publishKey(kid)
    expect((await call(server, "GET", "/api/v1/sessions", { token })).status).toBe(200)
  })

  it("a member may read but not manage (403)", async () => {
    const token = await jwt("acme", "member")
    expect((await call(server, "GET", "/api/v1/sessions", { token })).status).toBe(200)
    expectEnvelope(await call(server, "POST", "/api/v1/sessions", { token, body: {} }), 403, "forbidden")
  })

  it("an unknown role is authenticated but forbidden everywhere (403)", async () => {
    const token = await jwt("acme", "guest")
    expectEnvelope(await call(server, "GET", "/api/v1/sessions", { token }), 403, "forbidden")
    expectEnvelope(await call(server, "POST", "/api/v1/sessions", { token, body: {} }), 403, "forbidden")
  })

  it("a JWT without the org claim is 401", async () => {
    const token = await issuer.mint({ role: "owner" })
    expectEnvelope(await call(server, "GET", "/api/v1/sessions", { token }), 401, "unauthorized")
  })

  it("an API key works with its capabilities: read-only may read, not manage", async () => {
    const { key } = await createKey("acme", ["read"])
    expect((await call(server, "GET", "/api/v1/sessions", { token: key })).status).toBe(200)
    expectEnvelope(await call(server, "POST", "/api/v1/sessions", { token: key, body: {} }), 403, "forbidden")
  })

  it("a revoked API key is 401", async () => {
    const { id, key } = await createKey("acme", ["read", "manage"])
    expect((await call(server, "GET", "/api/v1/sessions", { token: key })).status).toBe(200)
    expect(await Effect.runPromise(apiKeys.revoke(id))).toBe(true)
    expectEnvelope(await call(server, "GET", "/api/v1/sessions", { token: key }), 401, "unauthorized")
  })

  it("a key of org A on org B's session is 404, never 403", async () => {
    const orgB = await createKey("org-b", ["read", "manage"])
    const orgA = await createKey("org-a", ["read", "manage"])
    const sessionId = await createSession(orgB.key)
    expect((await call(server, "GET", `/api/v1/sessions/${sessionId}`, { token: orgB.key })).status).toBe(200)
    expectEnvelope(await call(server, "GET", `/api/v1/sessions/${sessionId}`, { token: orgA.key }), 404, "not_found")
    expectEnvelope(await call(server, "DELETE", `/api/v1/sessions/${sessionId}`, { token: orgA.key }), 404, "not_found")
    expectEnvelope(await call(server, "GET", `/api/v1/sessions/${sessionId}/events`, { token: orgA.key }), 404, "not_found")
    const listed = await call(server, "GET", "/api/v1/sessions", { token: orgA.key })
    expect(listed.body).toMatchObject({ sessions: [] })
    expect((await call(server, "GET", `/api/v1/sessions/${sessionId}`, { token: orgB.key })).status).toBe(200)
  })

  it("a JWT of org A on org B's session is 404", async () => {
    const sessionId = await createSession(await jwt("org-b-jwt", "admin"))
    const other = await jwt("org-a-jwt", "owner")
    expectEnvelope(await call(server, "GET", `/api/v1/sessions/${sessionId}`, { token: other }), 404, "not_found")
  })
})
