import { describe, expect, it } from "@effect/vitest"
import { EventStore, type StoreUnavailable } from "@wa-gateway/domain"
import { Effect, Layer } from "effect"
import pg from "pg"
import { ConnectionLog } from "./connection-log.js"
import { ConnectionLogSql } from "./connection-log-sql.js"
import { EventStoreSql } from "./event-store-sql.js"
import { SqlDatabase } from "./sql-database.js"
import { databaseUrl, freshSchema, randomSessionId } from "./test-database.spec-helper.js"

/** A client in the test's schema with a transaction open. */
const openTransaction = (schema: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${schema}` })
      await client.connect()
      await client.query("begin")
      return client
    }),
    (client) => Effect.promise(() => client.end())
  )

const positionOf = (client: pg.Client, text: string, values: ReadonlyArray<unknown>) =>
  Effect.promise(async () => {
    const { rows } = await client.query<{ position: string }>(text, [...values])
    return BigInt(rows[0]?.position ?? "0")
  })

interface FollowedLog {
  readonly name: string
  readonly insert: (client: pg.Client) => Effect.Effect<bigint>
  readonly reader: Effect.Effect<(after: bigint) => Effect.Effect<ReadonlyArray<bigint>, StoreUnavailable>, never, EventStore | ConnectionLog>
}

/** Each log, written the way its store writes a row (the position by the column's default) and followed the way its readers follow it. */
const logs: ReadonlyArray<FollowedLog> = [
  {
    name: "the event log (readAll)",
    insert: (client: pg.Client) => {
      const sessionId = randomSessionId()
      return positionOf(client,
        `insert into events (stream_id, stream_version, org_id, type, data, occurred_at)
         values ($1, 1, 'acme', 'SessionCreated', $2::jsonb, now()) returning global_position::text as position`,
        [sessionId, JSON.stringify({ sessionId, orgId: "acme", name: "race" })])
    },
    reader: Effect.map(EventStore, (store) => (after: bigint) =>
      Effect.map(store.readAll(after, 100), (batch) => batch.map((e) => e.position)))
  },
  {
    name: "the connection log (readAfter)",
    insert: (client: pg.Client) =>
      positionOf(client,
        `insert into connection_events (session_id, org_id, type, status, occurred_at)
         values ($1, 'acme', 'session.connected', 'paired', now()) returning position::text as position`,
        [randomSessionId()]),
    reader: Effect.map(ConnectionLog, (log) => (after: bigint) =>
      Effect.map(log.readAfter(after, 100), (batch) => batch.map((e) => e.position)))
  }
]

/**
 * The race of migration 0005: a write takes its transaction id and its
 * position at two moments, so two writes can interleave there. With positions
 * from an identity column the older transaction could hold the higher
 * position and commit first; readable by the xid8 rule while the younger one
 * was still open, it moved a follower past the lower position, which was then
 * never read. Positions now derive from the transaction id, so they ascend in
 * the order rows become readable.
 */
describe.each(logs)("$name on PostgreSQL", (log) => {
  it.live("never skips a row whose transaction took its id first but commits second", () =>
    Effect.scoped(Effect.gen(function* () {
      const schema = yield* freshSchema
      const stores = Layer.merge(EventStoreSql, ConnectionLogSql)
      const context = yield* Layer.build(Layer.provideMerge(stores, SqlDatabase.postgres({ url: databaseUrl, schema, poolSize: 2 })))
      const read = yield* Effect.provide(log.reader, context)

      const older = yield* openTransaction(schema)
      // The older transaction takes its xid first…
      yield* Effect.promise(() => older.query("select pg_current_xact_id()"))
      const younger = yield* openTransaction(schema)
      // …the younger one writes its row first…
      const youngerRow = yield* log.insert(younger)
      // …then the older one writes and commits first.
      const olderRow = yield* log.insert(older)
      yield* Effect.promise(() => older.query("commit"))

      const seen: Array<bigint> = []
      let cursor = 0n
      const follow = Effect.gen(function* () {
        const batch = yield* read(cursor)
        seen.push(...batch)
        cursor = batch.at(-1) ?? cursor
      })
      for (let i = 0; i < 200 && !seen.includes(olderRow); i++) yield* Effect.zipRight(follow, Effect.sleep("10 millis"))
      // The older row is readable while the younger transaction is still open…
      expect(seen).toEqual([olderRow])
      yield* Effect.promise(() => younger.query("commit"))
      for (let i = 0; i < 200 && !seen.includes(youngerRow); i++) yield* Effect.zipRight(follow, Effect.sleep("10 millis"))

      // …and the younger one is read after it, in ascending positions.
      expect(seen).toEqual([olderRow, youngerRow])
      expect(youngerRow).toBeGreaterThan(olderRow)
    })))
})
