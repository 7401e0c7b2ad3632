// DESIGN §6: GET /api/v1/sessions/{id} and GET /api/v1/sessions?pageSize=50
// with an API key on the real server, against the peers' stacks doing the
// same work (bench/baselines/: node:http + pg, Express 4 + pg, Fastify 4 +
// pg), each server its own process on one PostgreSQL database; autocannon,
// same concurrency. Ours runs three times, at LOG_LEVEL=info (the default: one log
// line per request, to a file), at warn, and at warn with tracing on (a span per
// request exported over OTLP/HTTP to a sink in this process). Every server is warmed up, then
// the rounds interleave all five with an order that rotates.
import { execFileSync } from "node:child_process"
import { createServer, type Server } from "node:http"
import { type Bench, runIfMain } from "./results.js"
import { type LoadResult, loadWith, root, startServer, stopServer } from "./http-load.js"
import { type BenchLine, benchDatabaseUrl, formatInterval, formatSpread, interleaved, median, medianInterval, roundRatios, spread } from "./support.js"

const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 5)
const ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? 5)
const WARMUP_SECONDS = 2
const CONNECTIONS = 16
const SESSIONS = 60
const PAGE_SIZE = 50

const OTLP_SINK_PORT = 18187

/** An OTLP/HTTP collector that takes every export and drops it. */
const otlpSink = (): Promise<Server> =>
  new Promise((resolve) => {
    const sink = createServer((request, response) => {
      request.resume()
      request.on("end", () => response.writeHead(200, { "content-type": "application/json" }).end("{}"))
    })
    sink.listen(OTLP_SINK_PORT, "127.0.0.1", () => resolve(sink))
  })

const servers = [
  { name: "node:http", port: 18182, args: ["bench/baselines/node-http.mjs"], env: {} },
  { name: "Express", port: 18184, args: ["bench/baselines/express.mjs"], env: {} },
  { name: "Fastify", port: 18185, args: ["bench/baselines/fastify.mjs"], env: {} },
  { name: "ours, LOG_LEVEL=info", port: 18181, args: ["packages/http/dist/main.js"], env: { HOST: "127.0.0.1", LOG_LEVEL: "info" } },
  { name: "ours, LOG_LEVEL=warn", port: 18183, args: ["packages/http/dist/main.js"], env: { HOST: "127.0.0.1", LOG_LEVEL: "warn" } },
  // Tracing on: a span per request exported over OTLP/HTTP to the sink below (the others run with it off).
  {
    name: "ours, LOG_LEVEL=warn, traced",
    port: 18186,
    args: ["packages/http/dist/main.js"],
    env: { HOST: "127.0.0.1", LOG_LEVEL: "warn", OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${OTLP_SINK_PORT}` }
  }
] as const
type ServerName = (typeof servers)[number]["name"]
const baselines = ["node:http", "Express", "Fastify"] as const
const serverNames = servers.map((s) => s.name)

/** DESIGN §6: reads ≥ 1.0× Express at info, ≥ 1.2× at warn. */
const targets: Partial<Record<ServerName, number>> = { "ours, LOG_LEVEL=info": 1.0, "ours, LOG_LEVEL=warn": 1.2 }

const run = async () => {
  const databaseUrl = await benchDatabaseUrl("wa_bench_http")
  const env = { DATABASE_URL: databaseUrl, WA_ENGINE: "simulator", LOG_LEVEL: "warn" }
  const cliOutput = execFileSync(process.execPath, ["packages/http/dist/cli.js", "api-keys", "create", "--org", "bench", "--capability", "read", "--capability", "manage"], { cwd: root, env: { ...process.env, ...env } }).toString()
  const token = cliOutput.trim().split("\n").at(-1)!.trim()

  const sink = await otlpSink()
  const children = await Promise.all(servers.map((s) => startServer(s.args, { ...env, ...s.env }, s.port)))
  try {
    const sessionIds: Array<string> = []
    for (let i = 0; i < SESSIONS; i++) {
      const created = await fetch("http://127.0.0.1:18181/api/v1/sessions", {
        method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ name: `bench ${i}` })
      })
      sessionIds.push(((await created.json()) as { sessionId: string }).sessionId)
    }
    const routes = [
      { name: "GET /api/v1/sessions/{id}", path: `/api/v1/sessions/${sessionIds[0]}` },
      { name: `GET /api/v1/sessions?pageSize=${PAGE_SIZE}`, path: `/api/v1/sessions?pageSize=${PAGE_SIZE}` }
    ] as const
    const portOf = (name: ServerName) => servers.find((s) => s.name === name)!.port
    const lines: Array<BenchLine> = []
    const figures: Record<string, Record<string, ReadonlyArray<LoadResult>>> = {}
    for (const route of routes) {
      for (const name of serverNames) await loadWith(`http://127.0.0.1:${portOf(name)}${route.path}`, token, CONNECTIONS, WARMUP_SECONDS)
      const results: Record<string, Array<LoadResult>> = {}
      const rates = await interleaved(ROUNDS, serverNames, async (name) => {
        const result = await loadWith(`http://127.0.0.1:${portOf(name)}${route.path}`, token, CONNECTIONS, SECONDS)
        ;(results[name] ??= []).push(result)
        return result.requestsPerSecond
      })
      figures[route.name] = results
      for (const name of serverNames) {
        const rate = spread(rates[name])
        const latency = (pick: (r: LoadResult) => number) => median(results[name]!.map(pick)).toFixed(1)
        const vs = baselines.filter((b) => b !== name).map((b) => `${(rate.median / median(rates[b])).toFixed(2)}× ${b}`).join(", ")
        lines.push({
          name: `${route.name}, ${name}`,
          value: `${formatSpread(rate, 0, " req/s")}, p50 ${latency((r) => r.p50Ms)} ms, p99 ${latency((r) => r.p99Ms)} ms; ${vs}`
        })
      }
      for (const name of serverNames) {
        const target = targets[name]
        if (target === undefined) continue
        const vsExpress = medianInterval(roundRatios(rates[name], rates.Express))
        const ratioOfMedians = median(rates[name]) / median(rates.Express)
        const line = {
          name: `${route.name}, ${name} vs Express (ratio of medians; per-round ratios ${formatInterval(vsExpress, 2, "×")})`,
          value: `${ratioOfMedians.toFixed(2)}×`
        }
        // The targets are the single read's; the page is reported beside it.
        lines.push(route === routes[0] ? { ...line, target: `≥ ${target.toFixed(1)}×`, ok: ratioOfMedians >= target } : line)
      }
    }
    return {
      lines,
      figures,
      settings: { connections: CONNECTIONS, seconds: SECONDS, rounds: ROUNDS, warmupSeconds: WARMUP_SECONDS, sessions: SESSIONS, pageSize: PAGE_SIZE }
    }
  } finally {
    await Promise.all(children.map(stopServer))
    await new Promise((resolve) => sink.close(resolve))
  }
}

export const httpGet: Bench = {
  name: "http-get",
  title: `HTTP reads with an API key vs the peers' stacks (DESIGN §6; ${CONNECTIONS} connections, median of ${ROUNDS} interleaved rounds × ${SECONDS} s)`,
  run
}

await runIfMain(import.meta.url, httpGet)
