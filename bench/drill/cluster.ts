// A PostgreSQL cluster of the drill's own: initdb in a temporary directory, on
// a loopback port outside the ephemeral range, stopped (fast or immediate) and
// started again on demand, removed at the end. Never the machine's shared one.
import { execFile, execFileSync } from "node:child_process"
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface Cluster {
  readonly url: string
  readonly port: number
  readonly dir: string
  readonly start: () => Promise<void>
  readonly stop: (mode: "fast" | "immediate") => Promise<void>
  /** Stops it (immediate) if it runs and removes its directory; safe to call twice. */
  readonly remove: () => void
}

/** PostgreSQL's binaries: `PG_BIN`, or the newest `/usr/lib/postgresql/<n>/bin`. */
const binDir = (): string => {
  const fromEnv = process.env["PG_BIN"]
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv
  const root = "/usr/lib/postgresql"
  const versions = existsSync(root) ? readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a)) : []
  const newest = versions[0]
  if (newest === undefined) throw new Error("PostgreSQL binaries not found: set PG_BIN")
  return join(root, newest, "bin")
}

/** PostgreSQL refuses to run as root: as root, its binaries run as the `postgres` user. */
const asClusterOwner = process.getuid?.() === 0

const commandFor = (bin: string, args: ReadonlyArray<string>): [string, Array<string>] =>
  asClusterOwner ? ["runuser", ["-u", "postgres", "--", bin, ...args]] : [bin, [...args]]

const run = (bin: string, args: ReadonlyArray<string>): void => {
  const [command, commandArgs] = commandFor(bin, args)
  execFileSync(command, commandArgs, { stdio: ["ignore", "ignore", "pipe"], timeout: 120_000 })
}

/** As `run`, without blocking the drill's own clients meanwhile. */
const runAsync = (bin: string, args: ReadonlyArray<string>): Promise<void> =>
  new Promise((resolve, reject) => {
    const [command, commandArgs] = commandFor(bin, args)
    execFile(command, commandArgs, { timeout: 120_000 }, (error, _stdout, stderr) =>
      error === null ? resolve() : reject(new Error(`${bin} ${args.join(" ")}: ${stderr || error.message}`)))
  })

const postgresUid = (): { uid: number; gid: number } => {
  const [uid, gid] = ["-u", "-g"].map((flag) => Number(execFileSync("id", [flag, "postgres"]).toString().trim()))
  if (uid === undefined || gid === undefined || Number.isNaN(uid) || Number.isNaN(gid)) throw new Error("no postgres user")
  return { uid, gid }
}

export const createCluster = (port: number): Cluster => {
  const bin = binDir()
  const dir = mkdtempSync(join(tmpdir(), "wa-drill-pg-"))
  if (asClusterOwner) {
    const { uid, gid } = postgresUid()
    chownSync(dir, uid, gid)
  }
  const data = join(dir, "data")
  let running = false
  let removed = false
  const pgCtl = (args: ReadonlyArray<string>) => run(join(bin, "pg_ctl"), ["-D", data, ...args])
  const pgCtlAsync = (args: ReadonlyArray<string>) => runAsync(join(bin, "pg_ctl"), ["-D", data, ...args])

  run(join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
  // Small, loopback only, its socket in its own directory; durability as in production (fsync on).
  const options = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${dir}`,
    "-c shared_buffers=32MB",
    "-c max_connections=60",
    "-c log_min_messages=warning"
  ].join(" ")

  const cluster: Cluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    start: async () => {
      running = true
      await pgCtlAsync(["-l", join(dir, "postgres.log"), "-o", options, "-w", "-t", "60", "start"])
    },
    stop: async (mode) => {
      await pgCtlAsync(["-m", mode, "-w", "-t", "60", "stop"])
      running = false
    },
    remove: () => {
      if (removed) return
      removed = true
      if (running || existsSync(join(data, "postmaster.pid"))) {
        try {
          pgCtl(["-m", "immediate", "-w", "-t", "30", "stop"])
        } catch {
          // Already stopped: nothing to do.
        }
      }
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return cluster
}
