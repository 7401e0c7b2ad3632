// One gateway process of the cluster drill: `node packages/http/dist/main.js`
// as a cluster runner (CLUSTER_ENABLED) on the real Baileys engine against the
// drill's fake WhatsApp, its log in a file of its own.
import { type ChildProcess, spawn } from "node:child_process"
import { closeSync, openSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { sleep } from "../step.js"

const root = fileURLToPath(new URL("../../..", import.meta.url))

export interface RunnerProcess {
  readonly name: string
  readonly baseUrl: string
  /** `host:port` as the cluster (and `session_owners.runner`) names it. */
  readonly runnerAddress: string
  readonly logFile: string
  /** Where its inspector listens (`DRILL_PROFILE`), if it has one. */
  readonly inspectPort: number | undefined
  readonly alive: () => boolean
  readonly pid: () => number | undefined
  readonly start: () => Promise<void>
  readonly signal: (signal: NodeJS.Signals) => void
  /** Resolves once the process has exited (true), or false after `ms`. */
  readonly exited: (ms: number) => Promise<boolean>
  readonly forceKill: () => void
}

export interface RunnerOptions {
  readonly name: string
  readonly httpPort: number
  readonly runnerPort: number
  readonly databaseUrl: string
  readonly whatsapp: { readonly url: string; readonly certRoot: string }
  readonly logDir: string
  readonly shardLockExpiryMs: number
  readonly inspectPort?: number | undefined
}

export const runnerProcess = (options: RunnerOptions): RunnerProcess => {
  const baseUrl = `http://127.0.0.1:${options.httpPort}`
  const logFile = join(options.logDir, `${options.name}.log`)
  let child: ChildProcess | undefined
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null

  const start = async () => {
    const log = openSync(logFile, "a")
    const current = spawn(process.execPath, [
      ...(options.inspectPort === undefined ? [] : [`--inspect=127.0.0.1:${options.inspectPort}`]),
      "packages/http/dist/main.js"
    ], {
      cwd: root,
      env: {
        PATH: process.env["PATH"] ?? "",
        DATABASE_URL: options.databaseUrl,
        HOST: "127.0.0.1",
        PORT: String(options.httpPort),
        WA_ENGINE: "baileys",
        WA_SERVER_URL: options.whatsapp.url,
        WA_SERVER_CERT_ROOT: options.whatsapp.certRoot,
        CLUSTER_ENABLED: "true",
        RUNNER_HOST: "127.0.0.1",
        RUNNER_PORT: String(options.runnerPort),
        RUNNER_ADVERTISE_HOST: "127.0.0.1",
        CLUSTER_SHARD_LOCK_EXPIRY_MS: String(options.shardLockExpiryMs),
        LOG_LEVEL: process.env["DRILL_LOG_LEVEL"] ?? "warn"
      },
      stdio: ["ignore", log, log]
    })
    closeSync(log)
    child = current
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      if (!alive()) throw new Error(`${options.name} exited at start; see ${logFile}`)
      const up = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false)
      if (up) return
      await sleep(100)
    }
    throw new Error(`${options.name} did not answer /healthz within 60 s`)
  }

  const exited = (ms: number) =>
    new Promise<boolean>((resolve) => {
      const current = child
      if (current === undefined || !alive()) return resolve(true)
      const timer = setTimeout(() => resolve(false), ms)
      current.once("exit", () => {
        clearTimeout(timer)
        resolve(true)
      })
    })

  return {
    name: options.name,
    baseUrl,
    runnerAddress: `127.0.0.1:${options.runnerPort}`,
    logFile,
    inspectPort: options.inspectPort,
    alive,
    pid: () => child?.pid,
    start,
    signal: (signal) => {
      if (alive()) child?.kill(signal)
    },
    exited,
    forceKill: () => {
      if (child !== undefined && child.pid !== undefined && child.exitCode === null) {
        // A stopped process must be continued to die of SIGKILL promptly on some kernels; both are harmless.
        child.kill("SIGKILL")
        child.kill("SIGCONT")
      }
    }
  }
}
