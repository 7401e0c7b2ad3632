// The gateway under test as a real process: `node packages/http/dist/main.js`
// on the drill's cluster with the simulator engine, its log in a file.
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { closeSync, openSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../..", import.meta.url))
const probe = fileURLToPath(new URL("./memory-probe.mjs", import.meta.url))

export interface MemorySample {
  readonly rss: number
  readonly heapUsed: number
}

export interface ServerProcess {
  readonly baseUrl: string
  readonly logFile: string
  /** Whether the current process is still running (false after a crash as after a kill). */
  readonly alive: () => boolean
  /** Exits of a process not ended by the drill itself (a crash). */
  readonly unexpectedExits: () => ReadonlyArray<string>
  readonly start: () => Promise<number>
  readonly kill9: () => Promise<void>
  /** SIGTERM, then SIGKILL after 20 s; whether it exited by itself, with code 0. */
  readonly stop: () => Promise<boolean>
  /** SIGKILL without waiting: for cleanup on the way out. */
  readonly forceKill: () => void
  readonly memory: () => Promise<MemorySample>
  /** The log's lines from byte `from` on, and where it ends now. */
  readonly logSince: (from: number) => { readonly lines: ReadonlyArray<string>; readonly end: number }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The CLI's `api-keys create`: the key is the last line of its output. */
export const createApiKey = (databaseUrl: string, org: string): string => {
  const output = execFileSync(
    process.execPath,
    ["packages/http/dist/cli.js", "api-keys", "create", "--org", org, "--capability", "manage", "--capability", "read", "--label", "drill"],
    { cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl }, timeout: 60_000 }
  ).toString()
  const key = output.trim().split("\n").at(-1)?.trim() ?? ""
  if (!key.startsWith("wag_")) throw new Error("the CLI printed no API key")
  return key
}

export const serverProcess = (options: { readonly port: number; readonly databaseUrl: string; readonly logDir: string }): ServerProcess => {
  const baseUrl = `http://127.0.0.1:${options.port}`
  const logFile = join(options.logDir, "gateway.log")
  let child: ChildProcess | undefined
  let expectedExit = false
  const unexpected: Array<string> = []

  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null

  const start = async (): Promise<number> => {
    const log = openSync(logFile, "a")
    const started = performance.now()
    expectedExit = false
    const current = spawn(process.execPath, ["--expose-gc", "--import", probe, "packages/http/dist/main.js"], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: options.databaseUrl,
        WA_ENGINE: "simulator",
        HOST: "127.0.0.1",
        PORT: String(options.port),
        // Warnings and errors only (the ERROR check reads them); DRILL_LOG_LEVEL=info to see every request.
        LOG_LEVEL: process.env["DRILL_LOG_LEVEL"] ?? "warn"
      },
      stdio: ["ignore", log, log, "ipc"]
    })
    closeSync(log)
    child = current
    current.on("exit", (code, signal) => {
      if (!expectedExit) unexpected.push(`exited with ${signal ?? code}`)
    })
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      if (!alive()) throw new Error(`the gateway exited at start; see ${logFile}`)
      const up = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false)
      if (up) return performance.now() - started
      await sleep(50)
    }
    throw new Error("the gateway did not answer /healthz within 60 s")
  }

  const waitExit = (current: ChildProcess, ms: number) =>
    new Promise<boolean>((resolve) => {
      if (current.exitCode !== null || current.signalCode !== null) return resolve(true)
      const timer = setTimeout(() => resolve(false), ms)
      current.once("exit", () => {
        clearTimeout(timer)
        resolve(true)
      })
    })

  const kill9 = async () => {
    const current = child
    if (current === undefined) return
    expectedExit = true
    current.kill("SIGKILL")
    await waitExit(current, 10_000)
  }

  const stop = async () => {
    const current = child
    if (current === undefined || !alive()) return false
    expectedExit = true
    current.kill("SIGTERM")
    // Longer than the server's own bound on a drain (SHUTDOWN_TIMEOUT_MS, 15 s by default).
    if (await waitExit(current, 20_000)) return current.exitCode === 0
    current.kill("SIGKILL")
    await waitExit(current, 5_000)
    return false
  }

  const forceKill = () => {
    if (child !== undefined && alive()) {
      expectedExit = true
      child.kill("SIGKILL")
    }
  }

  const memory = () =>
    new Promise<MemorySample>((resolve, reject) => {
      const current = child
      if (current === undefined || !alive()) return reject(new Error("the gateway is not running"))
      const timer = setTimeout(() => {
        current.off("message", onMessage)
        reject(new Error("no memory sample within 10 s"))
      }, 10_000)
      const onMessage = (message: unknown) => {
        if (typeof message !== "object" || message === null || !("rss" in message) || !("heapUsed" in message)) return
        const { rss, heapUsed } = message
        if (typeof rss !== "number" || typeof heapUsed !== "number") return
        clearTimeout(timer)
        current.off("message", onMessage)
        resolve({ rss, heapUsed })
      }
      current.on("message", onMessage)
      current.send("memory")
    })

  const logSince = (from: number) => {
    const text = readFileSync(logFile)
    return { lines: text.subarray(from).toString("utf8").split("\n").filter((line) => line !== ""), end: text.length }
  }

  return { baseUrl, logFile, alive, unexpectedExits: () => [...unexpected], start, kill9, stop, forceKill, memory, logSince }
}
