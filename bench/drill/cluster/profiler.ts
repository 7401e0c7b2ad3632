// CPU profiles of the runners over one move of the cluster drill (set
// `DRILL_PROFILE`): each runner listens for an inspector on loopback, and the
// drill starts V8's sampling profiler on every live runner just before the
// signal and stops it once the sessions are back, so a profile holds the move
// and nothing of the pairing before it. Files: `bench/results/<drill>-<step>-<runner>.cpuprofile`.
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import pg from "pg"
import WebSocket from "ws"

interface Inspected {
  readonly name: string
  readonly inspectPort: number | undefined
  readonly alive: () => boolean
}

/** One Chrome DevTools Protocol session: send a method, await its result. */
const connect = async (port: number) => {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as ReadonlyArray<{ readonly webSocketDebuggerUrl: string }>
  const socket = new WebSocket(targets[0]!.webSocketDebuggerUrl)
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve())
    socket.once("error", reject)
  })
  let nextId = 1
  const pending = new Map<number, (result: unknown) => void>()
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as { readonly id?: number; readonly result?: unknown }
    if (message.id !== undefined) pending.get(message.id)?.(message.result)
  })
  return {
    send: (method: string, params: Record<string, unknown> = {}) =>
      new Promise<unknown>((resolve) => {
        const id = nextId++
        pending.set(id, resolve)
        socket.send(JSON.stringify({ id, method, params }))
      }),
    close: () => socket.close()
  }
}

export const profilingEnabled = process.env["DRILL_PROFILE"] !== undefined

/** Starts profiling every live runner; the returned `stop` writes one profile per runner and gives their paths. */
export const profileRunners = async (runners: ReadonlyArray<Inspected>, dir: string, label: string) => {
  const sessions = await Promise.all(runners.filter((r) => r.alive() && r.inspectPort !== undefined).map(async (runner) => {
    const session = await connect(runner.inspectPort!)
    await session.send("Profiler.enable")
    await session.send("Profiler.setSamplingInterval", { interval: 500 })
    await session.send("Profiler.start")
    return { runner, session }
  }))
  mkdirSync(dir, { recursive: true })
  return {
    stop: async (): Promise<ReadonlyArray<string>> =>
      Promise.all(sessions.filter(({ runner }) => runner.alive()).map(async ({ runner, session }) => {
        const { profile } = (await session.send("Profiler.stop")) as { readonly profile: unknown }
        session.close()
        const file = join(dir, `${label}-${runner.name}.cpuprofile`)
        writeFileSync(file, JSON.stringify(profile))
        return file
      }))
  }
}

type TableCounts = Map<string, { readonly scans: number; readonly inserted: number; readonly updated: number; readonly deleted: number }>

const tableCounts = async (databaseUrl: string): Promise<TableCounts> => {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    // The counters lag a moment behind the statements (each backend reports at its transaction's end).
    await client.query("select pg_stat_clear_snapshot()")
    const rows = await client.query<{ relname: string; scans: string; ins: string; upd: string; del: string }>(
      `select relname, (coalesce(seq_scan, 0) + coalesce(idx_scan, 0))::text as scans, n_tup_ins::text as ins, n_tup_upd::text as upd, n_tup_del::text as del
         from pg_stat_user_tables`
    )
    return new Map(rows.rows.map((r) => [r.relname, { scans: Number(r.scans), inserted: Number(r.ins), updated: Number(r.upd), deleted: Number(r.del) }]))
  } finally {
    await client.end()
  }
}

/** What the database did during a move, per table (scans, rows inserted/updated/deleted), per moved session. */
export const watchTables = async (databaseUrl: string) => {
  const before = await tableCounts(databaseUrl)
  return {
    report: async (sessions: number): Promise<string> => {
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      const after = await tableCounts(databaseUrl)
      const per = (n: number) => (n / Math.max(1, sessions)).toFixed(1)
      return [...after].flatMap(([table, a]) => {
        const b = before.get(table) ?? { scans: 0, inserted: 0, updated: 0, deleted: 0 }
        const d = { scans: a.scans - b.scans, inserted: a.inserted - b.inserted, updated: a.updated - b.updated, deleted: a.deleted - b.deleted }
        return d.scans + d.inserted + d.updated + d.deleted === 0 ? [] : [`  ${table}: scans ${per(d.scans)}, ins ${per(d.inserted)}, upd ${per(d.updated)}, del ${per(d.deleted)} per session`]
      }).join("\n")
    }
  }
}
