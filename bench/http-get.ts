// DESIGN §6: GET /api/v1/sessions/{id} with auth on the real server against a
// hand-written node:http + pg handler doing the same lookup; autocannon, same
// concurrency, both as separate processes on the same PostgreSQL database.
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import autocannon from "autocannon"
import { type BenchLine, benchDatabaseUrl, median, ratio } from "./support.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 8)
const CONNECTIONS = 16

const start = (args: ReadonlyArray<string>, env: Record<string, string>): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] })
    let output = ""
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes("Listening")) resolve(child)
    })
    child.on("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}: ${output}`)))
  })

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.removeAllListeners("exit")
    child.on("exit", () => resolve())
    child.kill("SIGTERM")
  })

const load = async (url: string, token: string): Promise<number> => {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers: { authorization: `Bearer ${token}` } })
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`)
  return result.requests.average
}

export const runHttpGet = async (): Promise<ReadonlyArray<BenchLine>> => {
  const databaseUrl = await benchDatabaseUrl("wa_bench_http")
  const env = { DATABASE_URL: databaseUrl, WA_ENGINE: "simulator", LOG_LEVEL: "warn" }
  const cliOutput = execFileSync(process.execPath, ["packages/http/dist/cli.js", "api-keys", "create", "--org", "bench", "--capability", "read", "--capability", "manage"], { cwd: root, env: { ...process.env, ...env } }).toString()
  const token = cliOutput.trim().split("\n").at(-1)!.trim()

  const gateway = await start(["packages/http/dist/main.js"], { ...env, PORT: "18181", HOST: "127.0.0.1", LOG_LEVEL: "info" })
  const created = await fetch("http://127.0.0.1:18181/api/v1/sessions", {
    method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ name: "bench" })
  })
  const { sessionId } = (await created.json()) as { sessionId: string }
  const baseline = await start(["bench/baseline-server.mjs"], { ...env, PORT: "18182" })

  const ours: Array<number> = []
  const theirs: Array<number> = []
  try {
    for (let round = 0; round < 3; round++) {
      ours.push(await load(`http://127.0.0.1:18181/api/v1/sessions/${sessionId}`, token))
      theirs.push(await load(`http://127.0.0.1:18182/api/v1/sessions/${sessionId}`, token))
    }
  } finally {
    await stop(gateway)
    await stop(baseline)
  }
  const ourRate = median(ours)
  const baseRate = median(theirs)
  return [
    { name: `node:http + pg baseline (${CONNECTIONS} connections)`, value: `${baseRate.toFixed(0)} req/s` },
    { name: "GET /api/v1/sessions/{id} with an API key vs baseline", value: `${ourRate.toFixed(0)} req/s = ${ratio(ourRate, baseRate)}`, target: "≥ 0.8×", ok: ourRate / baseRate >= 0.8 }
  ]
}
