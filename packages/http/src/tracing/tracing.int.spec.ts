import { createServer, type Server } from "node:http"
import pg from "pg"
import { afterAll, describe, expect, it } from "vitest"
import { type WebhookReceiver, webhookReceiver } from "@wa-gateway/testkit"
import { killGatewayProcesses, startGatewayProcess } from "../gateway-process.spec-helper.js"

// A gateway process exporting to an OTLP/HTTP receiver on loopback (JSON, as
// @effect/opentelemetry's exporter sends it), a request made with a caller's
// `traceparent`, and the spans that arrive.

const databaseUrl = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"

const sql = async (text: string): Promise<void> => {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

interface ExportedSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly kind: number
  readonly attributes: ReadonlyArray<{ readonly key: string; readonly value: { readonly stringValue?: string; readonly intValue?: number | string } }>
}

interface TracesRequest {
  readonly resourceSpans: ReadonlyArray<{ readonly scopeSpans: ReadonlyArray<{ readonly spans: ReadonlyArray<ExportedSpan> }> }>
}

/** An OTLP/HTTP traces endpoint: keeps every span posted to `/v1/traces`. */
const otlpReceiver = async () => {
  const spans: Array<ExportedSpan> = []
  const paths: Array<string> = []
  const tokens: Array<string | undefined> = []
  const server: Server = createServer((request, response) => {
    let body = ""
    request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")))
    request.on("end", () => {
      paths.push(request.url ?? "")
      const token = request.headers["x-collector-token"]
      tokens.push(typeof token === "string" ? token : undefined)
      const parsed = JSON.parse(body) as TracesRequest
      for (const resource of parsed.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans)
      response.writeHead(200, { "content-type": "application/json" }).end("{}")
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => [...spans],
    paths: () => [...paths],
    tokens: () => [...tokens],
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

const schema = `t_tracing_${Math.random().toString(16).slice(2, 10)}`
let receiver: Awaited<ReturnType<typeof otlpReceiver>> | undefined
let hooks: WebhookReceiver | undefined

afterAll(async () => {
  await killGatewayProcesses()
  await receiver?.close()
  await hooks?.close()
  await sql(`drop schema if exists "${schema}" cascade`)
})

const attribute = (span: ExportedSpan, key: string): string | undefined => {
  const value = span.attributes.find((a) => a.key === key)?.value
  return value === undefined ? undefined : String(value.stringValue ?? value.intValue)
}

const until = async <A>(what: string, check: () => A | undefined): Promise<A> => {
  for (let attempt = 0; attempt < 300; attempt++) {
    const found = check()
    if (found !== undefined) return found
    await new Promise((wait) => setTimeout(wait, 50))
  }
  throw new Error(`${what}: not in time`)
}

describe("traces over OTLP/HTTP", () => {
  it("one request's spans arrive as a server span under the caller's traceparent, with the store append and the engine operation beneath it; a webhook delivery sends its own span's traceparent", async () => {
    await sql(`create schema "${schema}"`)
    receiver = await otlpReceiver()
    hooks = await webhookReceiver()
    const url = new URL(databaseUrl)
    url.searchParams.set("options", `-c search_path=${schema}`)
    const gateway = await startGatewayProcess({
      DATABASE_URL: url.toString(),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: "wa-gateway-under-test",
      OTEL_BSP_SCHEDULE_DELAY: "100",
      OTEL_EXPORTER_OTLP_HEADERS: "x-collector-token=t0ken"
    })
    const key = gateway.firstApiKey()
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" }
    await fetch(`${gateway.baseUrl}/api/v1/webhooks`, { method: "POST", headers, body: JSON.stringify({ url: hooks.url, events: ["session.created"] }) })
    const created = await (await fetch(`${gateway.baseUrl}/api/v1/sessions`, { method: "POST", headers, body: "{}" })).json() as { sessionId: string }

    // The caller's span: the server span must be its child, in its trace.
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
    const callerSpanId = "00f067aa0ba902b7"
    const qr = await fetch(`${gateway.baseUrl}/api/v1/sessions/${created.sessionId}/qr`, {
      headers: { ...headers, traceparent: `00-${traceId}-${callerSpanId}-01` }
    })
    expect(qr.status).toBe(200)

    const server = await until("the request's server span", () =>
      receiver?.spans().find((span) => span.traceId === traceId && span.name === "GET /api/v1/sessions/{session}/qr"))
    expect(server.parentSpanId).toBe(callerSpanId)
    expect(server.kind).toBe(2) // SPAN_KIND_SERVER
    expect(attribute(server, "http.route")).toBe("/api/v1/sessions/{session}/qr")
    expect(attribute(server, "http.response.status_code")).toBe("200")
    expect(attribute(server, "http.request.method")).toBe("GET")

    const inTrace = () => receiver?.spans().filter((span) => span.traceId === traceId) ?? []
    const append = await until("the append's span", () => inTrace().find((span) => span.name === "event_store.append"))
    const engine = await until("the engine's span", () => inTrace().find((span) => span.name === "engine.startPairing"))
    // Each hangs under the server span (directly, or through spans of the same trace).
    const ancestors = (span: ExportedSpan): Array<string> => {
      const parent = inTrace().find((other) => other.spanId === span.parentSpanId)
      return parent === undefined ? [span.parentSpanId ?? ""] : [parent.spanId, ...ancestors(parent)]
    }
    expect(ancestors(append)).toContain(server.spanId)
    expect(ancestors(engine)).toContain(server.spanId)
    expect(attribute(engine, "wa.pairing_method")).toBe("qr")
    // Nothing of the request but method, route and status: no URL, no header.
    expect(server.attributes.map((a) => a.key).sort()).toEqual(["http.request.method", "http.response.status_code", "http.route"])

    // The webhook delivery carries the traceparent of its own exported span.
    const [delivery] = await hooks.waitFor((deliveries) => deliveries.length > 0)
    const traceparent = delivery?.headers["traceparent"] ?? ""
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    const [, deliveryTrace, deliverySpan] = traceparent.split("-")
    const deliver = await until("the delivery's span", () =>
      receiver?.spans().find((span) => span.name === "webhook.deliver" && span.spanId === deliverySpan))
    expect(deliver.traceId).toBe(deliveryTrace)
    expect(receiver.paths().every((path) => path === "/v1/traces")).toBe(true)
    expect(receiver.tokens().every((token) => token === "t0ken")).toBe(true)

    gateway.child.kill("SIGTERM")
    expect(await gateway.exit).toBe(0)
  }, 120_000)
})
