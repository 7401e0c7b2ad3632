// DESIGN §6: one append (with the read-model update) on PostgreSQL against a
// bare INSERT of the same row and against Emmett's appendToStream, same pool
// size, 1 and 16 writers, each warmed up first (JIT, pool connections, Emmett's
// schema), then the median of 3 interleaved rounds whose order rotates.
import { getPostgreSQLEventStore } from "@event-driven-io/emmett-postgresql"
import { EventStoreSql, SqlDatabase } from "@wa-gateway/adapters"
import { EventStore, OrgId, PairingStarted, SessionCreated, SessionId, type SessionRecord } from "@wa-gateway/domain"
import { Effect, Layer, ManagedRuntime } from "effect"
import pg from "pg"
import { type BenchLine, benchDatabaseUrl, median, printTable, ratio, throughput } from "./support.js"

const APPENDS = Number(process.env.BENCH_APPENDS ?? 5_000)
const WARMUP_APPENDS = Math.ceil(APPENDS / 5)
const ROUNDS = 3
const org = OrgId.make("bench")

/** A distinct, valid id per (writers, round, writer): digits only, fixed width. */
const sessionId = (writers: number, round: number, writer: number) =>
  SessionId.make(`sess_${String(writers).padStart(3, "0")}${String(round).padStart(3, "0")}${String(writer).padStart(4, "0")}`.padEnd(31, "0"))

const record = (id: SessionId, version: number, at: Date): SessionRecord => ({
  sessionId: id, orgId: org, name: "bench", status: version === 1 ? "unpaired" : "pairing",
  identity: null, createdAt: at, updatedAt: at, version
})

/** The reference INSERT, sent plain and as a prepared statement. */
const BARE_INSERT = "insert into bare.events (stream_id, stream_version, org_id, type, data, occurred_at) values ($1, $2, $3, $4, $5, $6)"
const bareRow = (streamId: string, i: number) => [streamId, i + 1, org, "PairingStarted", JSON.stringify({ method: "qr" }), new Date()]

export const runStoreAppend = async (): Promise<ReadonlyArray<BenchLine>> => {
  const url = await benchDatabaseUrl("wa_bench_append")
  const lines: Array<BenchLine> = []
  for (const writers of [1, 16]) {
    const ours = ManagedRuntime.make(EventStoreSql.pipe(Layer.provide(SqlDatabase.postgres({ url, schema: "ours", poolSize: writers }))))
    const store = await ours.runPromise(EventStore)
    const bare = new pg.Pool({ connectionString: url, max: writers })
    await bare.query(`create schema if not exists bare; create table if not exists bare.events (
      global_position bigint generated always as identity primary key, stream_id text not null, stream_version int not null,
      org_id text not null, type text not null, data jsonb not null, metadata jsonb not null default '{}',
      occurred_at timestamptz not null default now(), transaction_id xid8 not null default pg_current_xact_id(),
      unique (stream_id, stream_version))`)
    const emmett = getPostgreSQLEventStore(url, { connectionOptions: { pooled: true, pool: new pg.Pool({ connectionString: url, max: writers }) } } as never)
    await emmett.appendToStream("warmup", [{ type: "Warmup", data: {} }])

    // Each round (and the warm-up, round -1) appends to streams of its own.
    const appendWith = {
      ours: (round: number) => {
        // The domain builds (and validates) events whatever the store: not part of the append.
        const ids = Array.from({ length: writers }, (_, w) => sessionId(writers, round + 1, w))
        const created = ids.map((id) => [new SessionCreated({ sessionId: id, orgId: org, name: "bench" })] as const)
        const next = [new PairingStarted({ method: "qr" })] as const
        return (w: number, i: number) => {
          const id = ids[w]!
          const at = new Date()
          return Effect.runPromise(store.append({ streamId: id, orgId: org, expectedVersion: i, events: i === 0 ? created[w]! : next, occurredAt: at, record: record(id, i + 1, at) }))
        }
      },
      bare: (round: number) => (w: number, i: number) =>
        bare.query(BARE_INSERT, bareRow(`bare-${round}-${writers}-${w}`, i)),
      // For reference: the same INSERT as a named (prepared) statement, as our store now sends its queries.
      barePrepared: (round: number) => (w: number, i: number) =>
        bare.query({ name: "bench-bare-insert", text: BARE_INSERT, values: bareRow(`bare-prepared-${round}-${writers}-${w}`, i) }),
      emmett: (round: number) => (w: number, i: number) =>
        emmett.appendToStream(`emmett-${round}-${writers}-${w}`, [{ type: "PairingStarted", data: { method: "qr" } }],
          { expectedStreamVersion: BigInt(i) })
    }
    const names = ["ours", "bare", "barePrepared", "emmett"] as const
    for (const name of names) await throughput(WARMUP_APPENDS, writers, appendWith[name](-1))
    const rates = { ours: [] as Array<number>, bare: [] as Array<number>, barePrepared: [] as Array<number>, emmett: [] as Array<number> }
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(round + k) % names.length]!
        rates[name].push(await throughput(APPENDS, writers, appendWith[name](round)))
      }
    }
    const ourRate = median(rates.ours)
    const bareRate = median(rates.bare)
    const emmettRate = median(rates.emmett)
    lines.push(
      { name: `${writers} writer(s): bare INSERT`, value: `${bareRate.toFixed(0)} ev/s` },
      { name: `${writers} writer(s): Emmett appendToStream`, value: `${emmettRate.toFixed(0)} ev/s` },
      { name: `${writers} writer(s): our append vs bare INSERT`, value: `${ourRate.toFixed(0)} ev/s = ${ratio(ourRate, bareRate)}`, target: "≥ 0.75×", ok: ourRate / bareRate >= 0.75 },
      { name: `${writers} writer(s): our append vs Emmett`, value: ratio(ourRate, emmettRate), target: "≥ 1.5×", ok: ourRate / emmettRate >= 1.5 },
      { name: `${writers} writer(s): our append vs bare INSERT as a prepared statement (reference, no target)`, value: ratio(ourRate, median(rates.barePrepared)) }
    )
    await emmett.close()
    await bare.end()
    await ours.dispose()
  }
  return lines
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printTable("Event store append (PostgreSQL)", await runStoreAppend())
}
