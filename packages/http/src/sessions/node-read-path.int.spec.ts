import { createServer, type Server } from "node:http"
import { connect } from "node:net"
import { Context, Effect, Exit, HashMap, Layer, Logger, LogLevel, Option, Redacted, Scope } from "effect"
import { Gateway, GatewayMetrics, simulatorGatewayLayer } from "@wa-gateway/adapters"
import { OrgId } from "@wa-gateway/domain"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ApiKeys } from "../auth/api-keys.js"
import { authenticatorLayer } from "../auth/authenticator-live.js"
import { makeNodeReadPath, type NodeRequestTaker } from "./node-read-path.js"

// The session reads taken from Node's request event ahead of the platform
// (node-read-path.ts). Whether they answer as the router does is
// read-fast-path.int.spec.ts's part (the test server runs this path); here:
// what the path takes and leaves, and what it records of what it takes.

interface Logged {
  readonly message: string
  readonly annotations: Record<string, unknown>
}

const noJwt = { jwksUrl: Option.none(), issuer: Option.none(), audience: Option.none(), orgClaim: "org_id", roleClaim: "role" }
const SLOW_SESSION_NAME = "slow"
const logs: Array<Logged> = []
const scope = Effect.runSync(Scope.make())
let server: Server
let port = 0
let key = ""
let sessionId = ""
let slowSessionId = ""
let metrics: Context.Tag.Service<GatewayMetrics>
let manageOnlyKey = ""
let otherOrgKey = ""

beforeAll(async () => {
  const gateway = simulatorGatewayLayer({ store: { _tag: "memory" } })
  // A read of the slow session takes 300 ms, long enough for its client to leave first.
  const slowed = Layer.effect(Gateway, Effect.map(Gateway, (real) => ({
    ...real,
    get: (orgId: OrgId, id: Parameters<typeof real.get>[1]) =>
      Effect.flatMap(real.get(orgId, id), (view) => view.name === SLOW_SESSION_NAME ? Effect.as(Effect.sleep("300 millis"), view) : Effect.succeed(view))
  }))).pipe(Layer.provide(gateway))
  const auth = authenticatorLayer(noJwt).pipe(Layer.provideMerge(ApiKeys.Live))
  const capture = Layer.merge(
    Logger.replace(Logger.defaultLogger, Logger.make(({ annotations, message }) => {
      logs.push({ message: Array.isArray(message) ? message.map(String).join(" ") : String(message), annotations: Object.fromEntries(HashMap.toEntries(annotations)) })
    })),
    Logger.minimumLogLevel(LogLevel.Info)
  )
  const context = await Effect.runPromise(Layer.buildWithScope(
    // The slowed Gateway last, so it is the one the path finds.
    Layer.mergeAll(gateway, Layer.provide(auth, gateway), slowed).pipe(Layer.provide(capture)),
    scope
  ))
  const take: NodeRequestTaker = await Effect.runPromise(makeNodeReadPath.pipe(Effect.provide(context), Effect.provide(capture)))
  const org = OrgId.make("org-a")
  const created = await Effect.runPromise(Context.get(context, ApiKeys).create({ orgId: org, capabilities: ["read", "manage"], label: null }))
  key = Redacted.value(created.key)
  const apiKeys = Context.get(context, ApiKeys)
  manageOnlyKey = Redacted.value((await Effect.runPromise(apiKeys.create({ orgId: org, capabilities: ["manage"], label: null }))).key)
  otherOrgKey = Redacted.value((await Effect.runPromise(apiKeys.create({ orgId: OrgId.make("org-b"), capabilities: ["read"], label: null }))).key)
  const facade = Context.get(context, Gateway)
  sessionId = (await Effect.runPromise(facade.create(org, { name: "kept" }))).sessionId
  slowSessionId = (await Effect.runPromise(facade.create(org, { name: SLOW_SESSION_NAME }))).sessionId
  metrics = Context.get(context, GatewayMetrics)
  // What the path leaves goes on to "the platform": here a 599 that says so.
  // As the gateway's server: Node's own Host check off (the envelope middleware makes it).
  server = createServer({ requireHostHeader: false }, (request, response) => {
    if (!take(request, response)) response.writeHead(599).end("left to the platform")
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  port = typeof address === "object" && address !== null ? address.port : 0
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  await Effect.runPromise(Scope.close(scope, Exit.void))
})

const get = (path: string, init: RequestInit = {}) =>
  fetch(`http://127.0.0.1:${port}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, ...init.headers } })

/** One request written as it is, and the status line of its answer. */
const rawStatus = (request: string) =>
  new Promise<string>((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(request))
    let received = ""
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1")
      if (received.includes("\r\n")) {
        socket.destroy()
        resolve(received.slice(0, received.indexOf("\r\n")))
      }
    })
    socket.on("error", reject)
  })

const requestLines = () => logs.filter((l) => l.message === "request")

const requestsCounted = async (status: string): Promise<number> => {
  const metric = await metrics.registry.getSingleMetric("wa_http_requests_total")?.get()
  return metric?.values.find((v) => v.labels["route"] === "/api/v1/sessions/{session}" && v.labels["status"] === status)?.value ?? 0
}

describe("the session reads ahead of the platform", () => {
  it("takes a plain GET of a session and answers it, with its request id, log line and metrics", async () => {
    const before = await requestsCounted("200")
    const reply = await get(`/api/v1/sessions/${sessionId}`, { headers: { "x-request-id": "trace-7" } })
    expect(reply.status).toBe(200)
    expect(reply.headers.get("x-request-id")).toBe("trace-7")
    expect(reply.headers.get("content-type")).toBe("application/json")
    expect(await reply.json()).toMatchObject({ sessionId, name: "kept", status: "unpaired", connected: false })
    expect(requestLines().at(-1)?.annotations).toMatchObject({ requestId: "trace-7", method: "GET", path: `/api/v1/sessions/${sessionId}`, status: 200 })
    expect(await requestsCounted("200")).toBe(before + 1)
  })

  it("answers what the routes refuse in the envelope, and logs the reason under the request's id", async () => {
    const unknown = await get("/api/v1/sessions/sess_01HZX8K3M9Q2W4E6R8T0Y2V4X6")
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toEqual({ error: { code: "not_found", message: "session not found", details: {} } })
    const refused = await get(`/api/v1/sessions/${sessionId}`, { headers: { authorization: "Bearer wag_nope", "x-request-id": "bad-key" } })
    expect(refused.status).toBe(401)
    expect(logs.find((l) => l.message.startsWith("authentication failed"))?.annotations).toMatchObject({ requestId: "bad-key" })
    const page = await get("/api/v1/sessions?pageSize=0")
    expect(page.status).toBe(400)
    expect(await page.json()).toMatchObject({ error: { code: "validation_error", details: { field: "pageSize" } } })
  })

  it("answers a caller whose key was verified moments ago (remembered, not asked again) as it answered the first time", async () => {
    // The first request of each key asks the authenticator; the second, within
    // VERIFIED_KEY_TTL_MS, is served to the caller it remembers.
    for (const [token, status, code] of [[key, 200, undefined], [manageOnlyKey, 403, "forbidden"], [otherOrgKey, 404, "not_found"]] as const) {
      const replies = [await get(`/api/v1/sessions/${sessionId}`, { headers: { authorization: `Bearer ${token}` } })]
      replies.push(await get(`/api/v1/sessions/${sessionId}`, { headers: { authorization: `Bearer ${token}` } }))
      const [first, second] = await Promise.all(replies.map(async (r) => ({ status: r.status, body: await r.json() })))
      expect(first?.status).toBe(status)
      expect(second).toEqual(first)
      if (code !== undefined) expect(first?.body).toMatchObject({ error: { code } })
    }
    const pages = [await get("/api/v1/sessions?pageSize=1"), await get("/api/v1/sessions?pageSize=1")]
    const [page, again] = await Promise.all(pages.map(async (r) => ({ status: r.status, body: await r.json() })))
    expect(page?.status).toBe(200)
    expect(again).toEqual(page)
    expect((await get("/api/v1/sessions?pageSize=0")).status).toBe(400)
  })

  it("leaves every other request to the platform", async () => {
    const left = async (path: string, init: RequestInit = {}) => (await get(path, init)).status
    expect(await left(`/api/v1/sessions/${sessionId}`, { method: "HEAD" })).toBe(599)
    expect(await left(`/api/v1/sessions/${sessionId}`, { method: "DELETE" })).toBe(599)
    expect(await left(`/api/v1/sessions/${sessionId.replace("_", "%5F")}`)).toBe(599)
    expect(await left(`/api/v1/sessions/${sessionId}?x=1`)).toBe(599)
    expect(await left("/api/v1/sessions?pageSize=1&pageSize=2")).toBe(599)
    expect(await left("/api/v1/webhooks")).toBe(599)
    // A body to judge (a GET may carry one) and a missing Host are the envelope middleware's.
    expect(await rawStatus(`GET /api/v1/sessions/${sessionId} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`)).toBe("HTTP/1.1 599 unknown")
    expect(await rawStatus(`GET /api/v1/sessions/${sessionId} HTTP/1.1\r\n\r\n`)).toBe("HTTP/1.1 599 unknown")
  })

  it("logs a request whose client left before the answer as 499 and does not count it", async () => {
    const before = await requestsCounted("200")
    const socket = connect(port, "127.0.0.1", () =>
      socket.write(`GET /api/v1/sessions/${slowSessionId} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nx-request-id: gone-early\r\n\r\n`))
    await new Promise((resolve) => setTimeout(resolve, 50))
    socket.destroy()
    for (let i = 0; i < 100 && !requestLines().some((l) => l.annotations["requestId"] === "gone-early"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(requestLines().find((l) => l.annotations["requestId"] === "gone-early")?.annotations).toMatchObject({ status: 499 })
    expect(await requestsCounted("200")).toBe(before)
  })
})

// A defect on the path would be logged; none of the above may produce one.
afterAll(() => {
  expect(logs.filter((l) => l.message === "unhandled failure" || l.message === "internal error")).toEqual([])
})
