// DESIGN §6: GET /api/v1/sessions/{id} with auth on the real server against a
// hand-written node:http + pg handler doing the same lookup; autocannon, same
// concurrency, both as separate processes on the same PostgreSQL database.
// Ours runs twice, at LOG_LEVEL=info (the default: one log line per request)
// and at warn; every server is warmed up before the timed rounds, and the
// rounds interleave the three.
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { closeSync, openSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import autocannon from "autocannon"
import { type BenchLine, benchDatabaseUrl, median, printTable, ratio } from "./support.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 5)
const WARMUP_SECONDS = 2
const ROUNDS = 3
const CONNECTIONS = 16

/**
 * Spawns a server and resolves once it answers HTTP on `port`. Its log goes
 * to a file, as to a collector: read through a pipe by this process, it would
 * take CPU from autocannon running here.
 */
const start = (args: ReadonlyArray<string>, env: Record<string, string>, port: number): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const log = openSync(join(tmpdir(), `wa-bench-${port}.log`), "w")
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env, PORT: String(port) }, stdio: ["ignore", log, "inherit"] })
    closeSync(log)
    const failed = (code: number | null) => reject(new Error(`${args.join(" ")} exited with ${code}`))
    child.once("exit", failed)
    const poll = () =>
      fetch(`http://127.0.0.1:${port}/healthz`).then(
        () => {
          child.off("exit", failed)
          resolve(child)
        },
        () => setTimeout(poll, 100)
      )
    poll()
  })

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.on("exit", () => resolve())
    child.kill("SIGTERM")
  })

const load = async (url: string, token: string, seconds = SECONDS): Promise<number> => {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers: { authorization: `Bearer ${token}` } })
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`)
  return result.requests.average
}

export const runHttpGet = async (): Promise<ReadonlyArray<BenchLine>> => {
  const databaseUrl = await benchDatabaseUrl("wa_bench_http")
  const env = { DATABASE_URL: databaseUrl, WA_ENGINE: "simulator", LOG_LEVEL: "warn" }
  const cliOutput = execFileSync(process.execPath, ["packages/http/dist/cli.js", "api-keys", "create", "--org", "bench", "--capability", "read", "--capability", "manage"], { cwd: root, env: { ...process.env, ...env } }).toString()
  const token = cliOutput.trim().split("\n").at(-1)!.trim()

  const info = await start(["packages/http/dist/main.js"], { ...env, HOST: "127.0.0.1", LOG_LEVEL: "info" }, 18181)
  const warn = await start(["packages/http/dist/main.js"], { ...env, HOST: "127.0.0.1", LOG_LEVEL: "warn" }, 18183)
  const created = await fetch("http://127.0.0.1:18181/api/v1/sessions", {
    method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ name: "bench" })
  })
  const { sessionId } = (await created.json()) as { sessionId: string }
  const baseline = await start(["bench/baseline-server.mjs"], env, 18182)

  const servers = [
    { name: "baseline", port: 18182 },
    { name: "info", port: 18181 },
    { name: "warn", port: 18183 }
  ] as const
  const rates: Record<(typeof servers)[number]["name"], Array<number>> = { baseline: [], info: [], warn: [] }
  try {
    for (const server of servers) await load(`http://127.0.0.1:${server.port}/api/v1/sessions/${sessionId}`, token, WARMUP_SECONDS)
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < servers.length; k++) {
        const server = servers[(round + k) % servers.length]!
        rates[server.name].push(await load(`http://127.0.0.1:${server.port}/api/v1/sessions/${sessionId}`, token))
      }
    }
  } finally {
    await Promise.all([stop(info), stop(warn), stop(baseline)])
  }
  const baseRate = median(rates.baseline)
  const line = (level: "info" | "warn"): BenchLine => {
    const rate = median(rates[level])
    return {
      name: `GET /api/v1/sessions/{id} with an API key, LOG_LEVEL=${level}, vs baseline`,
      value: `${rate.toFixed(0)} req/s = ${ratio(rate, baseRate)}`,
      target: "≥ 0.8×",
      ok: rate / baseRate >= 0.8
    }
  }
  return [
    { name: `node:http + pg baseline (${CONNECTIONS} connections, median of ${ROUNDS} × ${SECONDS} s)`, value: `${baseRate.toFixed(0)} req/s` },
    line("info"),
    line("warn")
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printTable("HTTP GET /api/v1/sessions/{id}", await runHttpGet())
}
