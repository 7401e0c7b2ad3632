// Server processes for the HTTP benches, and autocannon against them.
import { type ChildProcess, spawn } from "node:child_process"
import { closeSync, openSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import autocannon from "autocannon"

export const root = fileURLToPath(new URL("..", import.meta.url))

/**
 * Spawns a server and resolves once it answers HTTP on `port`. Its log goes
 * to a file, as to a collector: read through a pipe by this process, it would
 * take CPU from autocannon running here.
 */
export const startServer = (args: ReadonlyArray<string>, env: Record<string, string>, port: number): Promise<ChildProcess> =>
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

export const stopServer = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGTERM")
  })

export interface LoadResult {
  readonly requestsPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
}

/** `connections` keep-alive connections for `seconds`; any non-2xx answer or error fails the run. */
export const loadWith = async (url: string, token: string, connections: number, seconds: number): Promise<LoadResult> => {
  const result = await autocannon({ url, connections, duration: seconds, headers: { authorization: `Bearer ${token}` } })
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`)
  return { requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99 }
}
