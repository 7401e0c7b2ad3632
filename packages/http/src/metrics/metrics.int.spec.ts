import { Effect, Exit, Layer, Logger, LogLevel, Option, Redacted, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { simulatorGatewayLayer } from "@wa-gateway/adapters"
import { parsePrometheusText as parse, sampleValue as valueOf } from "@wa-gateway/testkit"
import { ApiKeys } from "../auth/api-keys.js"
import { authenticatorLayer } from "../auth/authenticator-live.js"
import { serverLayer, serverPort, SimulatorApiLive } from "../server.js"
import { call, startTestServer, type TestServer } from "../server.spec-helper.js"

describe("GET /metrics after a lifecycle", () => {
  let server: TestServer
  let key: string
  beforeAll(async () => {
    server = await startTestServer()
    key = await server.apiKey("acme", ["read", "manage"])
  })
  afterAll(() => server.close())

  it("counts exactly what the run did, with no session, org or phone in any label", async () => {
    const created = await call(server, "POST", "/api/v1/sessions", { token: key, body: { name: "metrics" } })
    const { sessionId } = created.body as { sessionId: string }
    // Two attempts: a QR, then a code that the phone enters.
    expect((await call(server, "GET", `/api/v1/sessions/${sessionId}/qr`, { token: key })).status).toBe(200)
    const code = await call(server, "POST", `/api/v1/sessions/${sessionId}:requestPairingCode`, { token: key, body: { phone: "628123456789" } })
    const entered = await call(server, "POST", `/simulator/v1/sessions/${sessionId}:enterCode`, {
      token: key,
      body: { code: (code.body as { code: string }).code }
    })
    expect(entered.status).toBe(200)
    await call(server, "GET", "/wp-admin/probe", { token: key })

    const scrape = await call(server, "GET", "/metrics")
    expect(scrape.status).toBe(200)
    expect(scrape.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/)
    const samples = parse(scrape.text)

    expect(valueOf(samples, "wa_pairing_attempts_total", { method: "qr", outcome: "started" })).toBe(1)
    expect(valueOf(samples, "wa_pairing_attempts_total", { method: "code", outcome: "started" })).toBe(1)
    expect(valueOf(samples, "wa_pairing_attempts_total", { method: "code", outcome: "paired" })).toBe(1)
    expect(valueOf(samples, "wa_pairing_attempts_total", { outcome: "paired" })).toBe(1)
    expect(valueOf(samples, "wa_sessions", { status: "paired" })).toBe(1)
    expect(valueOf(samples, "wa_sessions", { status: "unpaired" })).toBe(0)
    expect(valueOf(samples, "wa_sessions_connected")).toBe(1)
    // Created, QR started, code started, paired: four appends, every one timed.
    expect(valueOf(samples, "wa_event_store_append_seconds_count", { outcome: "appended" })).toBe(4)
    expect(valueOf(samples, "wa_http_requests_total", { route: "/api/v1/sessions", method: "POST", status: "201" })).toBe(1)
    expect(valueOf(samples, "wa_http_requests_total", { route: "/api/v1/sessions/{session}/qr", method: "GET", status: "200" })).toBe(1)
    expect(valueOf(samples, "wa_http_requests_total", { route: "/simulator/v1/sessions/{session}:enterCode", status: "200" })).toBe(1)
    expect(valueOf(samples, "wa_http_requests_total", { route: "unmatched", status: "404" })).toBe(1)
    expect(valueOf(samples, "wa_http_request_duration_seconds_count", { route: "/api/v1/sessions/{session}/qr" })).toBe(1)
    expect(valueOf(samples, "wa_boot_resume_seconds")).toBeGreaterThanOrEqual(0)

    expect(scrape.text).not.toContain(sessionId)
    expect(scrape.text).not.toContain("628123456789")
    expect(scrape.text).not.toContain("acme")
  })
})

describe("GET /metrics with METRICS_TOKEN", () => {
  it("answers 401 in the envelope without the token (an API key does not do), 200 with it", async () => {
    const token = "metrics-secret-token"
    const layer = serverLayer({ port: 0, host: "127.0.0.1", metrics: { token: Option.some(Redacted.make(token)), processMetrics: true } }, SimulatorApiLive).pipe(
      Layer.provideMerge(authenticatorLayer({ jwksUrl: Option.none(), issuer: Option.none(), audience: Option.none(), orgClaim: "org_id", roleClaim: "role" })
        .pipe(Layer.provideMerge(ApiKeys.Live))),
      Layer.provideMerge(simulatorGatewayLayer({ store: { _tag: "memory" } })),
      Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
    )
    const scope = Effect.runSync(Scope.make())
    try {
      const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
      const base = `http://127.0.0.1:${Effect.runSync(Effect.provide(serverPort, context))}`
      const scrape = (bearer?: string) =>
        fetch(`${base}/metrics`, bearer === undefined ? {} : { headers: { authorization: `Bearer ${bearer}` } })
      for (const refused of [await scrape(), await scrape("wrong")]) {
        expect(refused.status).toBe(401)
        expect(await refused.json()).toMatchObject({ error: { code: "unauthorized" } })
      }
      const ok = await scrape(token)
      expect(ok.status).toBe(200)
      // Node's own process metrics are on in the standalone server.
      expect(await ok.text()).toContain("process_cpu_seconds_total")
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  })
})
