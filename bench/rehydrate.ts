// What a gateway pays to load a long-lived session: rehydrating a stream of
// 10,000 events on PostgreSQL (read, decode every event, fold them into the
// state: SessionService.load, what every command does first) against reading
// the same rows raw through pg, and against the store's readStream (read and
// decode, no fold) to tell decoding from folding. The stream is a session
// paired and logged out again and again (PairingStarted, SessionPaired,
// LoggedOut): a phone number, JIDs and a push name in a third of its events.
import { EventStoreSql, SqlDatabase } from "@wa-gateway/adapters"
import {
  EventStore,
  LoggedOut,
  OrgId,
  PairingAttemptId,
  PairingStarted,
  SessionCreated,
  SessionId,
  SessionPaired,
  SessionService
} from "@wa-gateway/domain"
import { Effect, Layer, ManagedRuntime } from "effect"
import pg from "pg"
import { type Bench, runIfMain } from "./results.js"
import { type BenchLine, benchDatabaseUrl, formatSpread, interleaved, roundRatios, spread } from "./support.js"

const EVENTS = Number(process.env.BENCH_REHYDRATE_EVENTS ?? 10_000)
const ROUNDS = Number(process.env.BENCH_REHYDRATE_ROUNDS ?? 7)
/** Reads per round and contestant, timed together. */
const READS = 5
const org = OrgId.make("bench")
const streamId = SessionId.make("sess_01J000000000000000000BENCH")
const SCHEMA = "rehydrate"

/** The store's own stream query, as readStream sends it. */
const RAW_READ = `select global_position::text as position, stream_id, stream_version, org_id, type, data, occurred_at
  from ${SCHEMA}.events where stream_id = $1 order by stream_version`

const at = new Date("2026-01-01T00:00:00Z")
/** The read model row after `version` events; this bench does not read it, it only has to be valid. */
const record = (version: number, status: "unpaired" | "logged_out") =>
  ({ sessionId: streamId, orgId: org, name: "bench", status, identity: null, createdAt: at, updatedAt: at, version })

/** SessionCreated, then (PairingStarted, SessionPaired, LoggedOut) until `EVENTS`, appended a cycle at a time. */
const writeStream = Effect.gen(function* () {
  if ((EVENTS - 1) % 3 !== 0) return yield* Effect.dieMessage("BENCH_REHYDRATE_EVENTS must be 1 + a multiple of 3")
  const store = yield* EventStore
  yield* store.append({
    streamId, orgId: org, expectedVersion: 0, occurredAt: at,
    events: [new SessionCreated({ sessionId: streamId, orgId: org, name: "bench" })],
    record: record(1, "unpaired")
  })
  for (let version = 1; version < EVENTS; version += 3) {
    yield* store.append({
      streamId, orgId: org, expectedVersion: version, occurredAt: at, record: record(version + 3, "logged_out"),
      events: [
        new PairingStarted({ method: "qr", attemptId: PairingAttemptId.make(`pair_${String(version).padStart(26, "0")}`) }),
        new SessionPaired({ phoneNumber: "628123456789", waJid: "628123456789:12@s.whatsapp.net", waLid: "1234567890@lid", pushName: "Acme Support" }),
        new LoggedOut({ by: "device" })
      ]
    })
  }
})

const run = async () => {
  const url = await benchDatabaseUrl("wa_bench_rehydrate")
  const runtime = ManagedRuntime.make(
    SessionService.Live.pipe(Layer.provideMerge(EventStoreSql), Layer.provide(SqlDatabase.postgres({ url, schema: SCHEMA, poolSize: 2 })))
  )
  const raw = new pg.Pool({ connectionString: url, max: 2 })
  try {
    await runtime.runPromise(writeStream)
    const contestants = {
      raw: async () => {
        const result = await raw.query(RAW_READ, [streamId])
        if (result.rows.length !== EVENTS) throw new Error(`read ${result.rows.length} rows`)
      },
      readStream: () => runtime.runPromise(Effect.flatMap(EventStore, (store) => store.readStream(streamId))).then((events) => {
        if (events.length !== EVENTS) throw new Error(`decoded ${events.length} events`)
      }),
      rehydrate: () => runtime.runPromise(Effect.flatMap(SessionService, (sessions) => sessions.load(org, streamId))).then((loaded) => {
        if (loaded.version !== EVENTS) throw new Error(`folded to version ${loaded.version}`)
      })
    }
    const names = ["raw", "readStream", "rehydrate"] as const
    /** Milliseconds per read, over READS reads. */
    const time = async (name: (typeof names)[number]) => {
      const started = performance.now()
      for (let i = 0; i < READS; i++) await contestants[name]()
      return (performance.now() - started) / READS
    }
    for (const name of names) await time(name)
    const ms = await interleaved(ROUNDS, names, time)
    const perRead = (name: (typeof names)[number]) => formatSpread(spread(ms[name]), 1, " ms")
    const eventsPerSecond = (name: (typeof names)[number]) => `${((EVENTS / spread(ms[name]).median) * 1000).toFixed(0)} events/s`
    const lines: Array<BenchLine> = [
      { name: `raw rows through pg (${EVENTS} events)`, value: `${perRead("raw")} = ${eventsPerSecond("raw")}` },
      { name: "read and decode (EventStore.readStream)", value: `${perRead("readStream")} = ${eventsPerSecond("readStream")}` },
      { name: "rehydrate: read, decode, fold (SessionService.load)", value: `${perRead("rehydrate")} = ${eventsPerSecond("rehydrate")}` },
      { name: "rehydrate vs raw rows, time per round", value: formatSpread(spread(roundRatios(ms.rehydrate, ms.raw)), 2, "×") },
      { name: "read and decode vs raw rows, time per round", value: formatSpread(spread(roundRatios(ms.readStream, ms.raw)), 2, "×") }
    ]
    return { lines, figures: { millisecondsPerRead: ms }, settings: { events: EVENTS, rounds: ROUNDS, readsPerRound: READS } }
  } finally {
    await raw.end()
    await runtime.dispose()
  }
}

export const rehydrate: Bench = {
  name: "rehydrate",
  title: `Rehydrating a session of ${EVENTS} events on PostgreSQL vs its raw rows (${ROUNDS} interleaved rounds of ${READS} reads, median ±IQR/2 (min–max))`,
  run
}

await runIfMain(import.meta.url, rehydrate)
