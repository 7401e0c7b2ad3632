import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { EventStore } from "@wa-gateway/domain"
import { Cause, Context, Effect, Exit, Fiber, Layer, Option } from "effect"
import { Kysely, PostgresDialect, sql } from "kysely"
import pg from "pg"
import { appendRequest, created, newOrg, pairingStarted } from "./event-store.contract.spec-helper.js"
import { EventStoreSql } from "./event-store-sql.js"
import { migrateTo, migrationNames } from "./migrations.js"
import { query, SqlDatabase } from "./sql-database.js"
import { databaseUrl, freshSchema, randomSessionId, randomSuffix, withClient } from "./test-database.spec-helper.js"

const databaseIn = (schema: string, url = databaseUrl) =>
  Layer.build(SqlDatabase.postgres({ url, schema, poolSize: 2 })).pipe(Effect.map((context) => Context.get(context, SqlDatabase)))

describe("SqlDatabase on PostgreSQL", () => {
  it.scopedLive("creates the schema, migrates once, and starts again on a migrated schema", () =>
    Effect.gen(function* () {
      const schema = yield* freshSchema
      yield* Effect.scoped(databaseIn(schema))
      const { db } = yield* databaseIn(schema)
      const applied = yield* Effect.promise(() => sql<{ name: string }>`select name from kysely_migration order by name`.execute(db))
      expect(applied.rows.map((r) => r.name)).toEqual([...migrationNames])
      const tables = yield* withClient((c) =>
        c.query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = $1 order by table_name", [schema]))
      expect(tables.rows.map((r) => r.table_name)).toEqual(["api_keys", "connection_events", "events", "kysely_migration", "kysely_migration_lock", "session_owners", "sessions", "wa_auth", "webhook_deliveries", "webhook_replays", "webhooks"])
    }))

  it.scopedLive("keeps log positions ascending across migration 0005 on a database that already has rows", () =>
    Effect.gen(function* () {
      const schema = yield* freshSchema
      // A database at 0004 whose identity columns have already given out high positions.
      const old = new Kysely<unknown>({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl, max: 1, options: `-c search_path=${schema}` }) })
      })
      yield* Effect.promise(async () => {
        await sql`create schema ${sql.id(schema)}`.execute(old)
        await migrateTo(old, schema, "0004_session_owners")
        await sql`insert into events (global_position, stream_id, stream_version, org_id, type, data)
                  overriding system value values (5000000000000, 'sess_old', 1, 'acme', 'SessionCreated', '{}')`.execute(old)
        await sql`insert into connection_events (position, session_id, org_id, type, status, occurred_at)
                  overriding system value values (7000000000000, 'sess_old', 'acme', 'session.connected', 'paired', now())`.execute(old)
        await old.destroy()
      })
      const database = yield* databaseIn(schema)
      const store = Context.get(yield* Layer.build(Layer.provide(EventStoreSql, Layer.succeed(SqlDatabase, database))), EventStore)
      const id = randomSessionId()
      const org = newOrg()
      // Two events in one append: the statement's ordinals, above the old positions too.
      const appended = yield* store.append(appendRequest(id, org, [], [created(id, org), pairingStarted]))
      const connected = yield* Effect.promise(() => sql<{ position: string }>`
        insert into connection_events (session_id, org_id, type, status, occurred_at)
        values ('sess_new', 'acme', 'session.connected', 'paired', now()) returning position::text as position`.execute(database.db))
      // Above both logs' old positions: a follower at the old head reads the new rows.
      const positions = (yield* store.readStream(id)).map((e) => e.position)
      expect(positions[0]).toBeGreaterThan(7000000000000n)
      expect(positions).toEqual([positions[0], (positions[0] ?? 0n) + 1n])
      expect(appended.lastPosition).toBe(positions[1])
      expect(BigInt(connected.rows[0]?.position ?? "0")).toBeGreaterThan(appended.lastPosition)
    }))

  it.scopedLive("takes what the URL leaves out from the PG* variables", () =>
    Effect.gen(function* () {
      const full = new URL(databaseUrl)
      const saved = { ...process.env }
      yield* Effect.addFinalizer(() => Effect.sync(() => {
        for (const name of ["PGUSER", "PGDATABASE", "PGPASSWORD"]) {
          if (saved[name] === undefined) delete process.env[name]
          else process.env[name] = saved[name]
        }
      }))
      process.env["PGUSER"] = decodeURIComponent(full.username) || "postgres"
      process.env["PGDATABASE"] = full.pathname.slice(1) || "postgres"
      if (full.password !== "") process.env["PGPASSWORD"] = decodeURIComponent(full.password)
      const schema = yield* freshSchema
      const { db } = yield* databaseIn(schema, `postgres://${full.host}`)
      const who = yield* Effect.promise(() => sql<{ db: string; user: string }>`select current_database() as db, current_user as user`.execute(db))
      expect(who.rows).toEqual([{ db: process.env["PGDATABASE"], user: process.env["PGUSER"] }])
    }))

  it.scopedLive("fails to start with StoreUnavailable when PostgreSQL cannot be reached", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(Effect.scoped(databaseIn("t_unreachable", "postgres://postgres@127.0.0.1:1/test")))
      expect(Exit.isFailure(exit) && Cause.failureOption(exit.cause)).toEqual(
        expect.objectContaining({ value: expect.objectContaining({ _tag: "StoreUnavailable" }) })
      )
    }))

  it.scopedLive("answers a failed query with StoreUnavailable and a message without SQL", () =>
    Effect.gen(function* () {
      const schema = yield* freshSchema
      const context = yield* Layer.build(EventStoreSql.pipe(Layer.provide(SqlDatabase.postgres({ url: databaseUrl, schema, poolSize: 1 }))))
      const store = Context.get(context, EventStore)
      yield* withClient((c) => c.query(`drop table "${schema}".events`))
      const [id, org] = [randomSessionId(), newOrg()]
      const failed = yield* Effect.flip(store.append(appendRequest(id, org, [], [created(id, org)])))
      expect(failed).toMatchObject({ _tag: "StoreUnavailable", message: "the event store is unavailable" })
      const read = yield* Effect.flip(store.readStream(id))
      expect(read).toMatchObject({ _tag: "StoreUnavailable", message: "the event store is unavailable" })
    }))
})

describe("SqlDatabase on PostgreSQL when the server ends busy connections", () => {
  // What `pg_ctl stop -m fast` does to every backend, here only to this pool's:
  // each is terminated while a query runs on a checked-out client.
  it.scopedLive("fails the queries in flight with StoreUnavailable, stays up, and reconnects for the next query", () =>
    Effect.gen(function* () {
      // An unhandled `error` event of a pg client would end a server process.
      const uncaught: Array<unknown> = []
      const record = (error: unknown) => uncaught.push(error)
      yield* Effect.acquireRelease(
        Effect.sync(() => process.on("uncaughtExceptionMonitor", record)),
        () => Effect.sync(() => process.off("uncaughtExceptionMonitor", record))
      )
      const schema = yield* freshSchema
      const { db } = yield* databaseIn(schema)
      const marker = `busy_${randomSuffix()}`
      const slow = Effect.exit(query(() => sql.raw(`select pg_sleep(2), '${marker}'`).execute(db)))
      // Twice the pool's two connections: two queries run, two wait for a client.
      const inFlight = yield* Effect.fork(Effect.all([slow, slow, slow, slow], { concurrency: "unbounded" }))
      const terminated = yield* withClient(async (c) => {
        for (let attempt = 0; attempt < 100; attempt++) {
          const result = await c.query<{ ended: boolean }>(
            "select pg_terminate_backend(pid) as ended from pg_stat_activity where query like $1 and pid <> pg_backend_pid()",
            [`%'${marker}'%`]
          )
          if (result.rows.length > 0) return result.rows.length
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        return 0
      })
      expect(terminated).toBeGreaterThan(0)
      const exits = yield* Fiber.join(inFlight)
      const failed = exits.filter(Exit.isFailure)
      expect(failed.length).toBeGreaterThan(0)
      for (const exit of failed) {
        expect(Cause.failureOption(exit.cause)).toEqual(Option.some(expect.objectContaining({ _tag: "StoreUnavailable" })))
      }
      const after = yield* query(() => sql<{ one: number }>`select 1 as one`.execute(db))
      expect(after.rows).toEqual([{ one: 1 }])
      expect(uncaught).toEqual([])
    }), { timeout: 30_000 })
})

describe("SqlDatabase on PGlite", () => {
  it.scopedLive("keeps what was appended in its directory across a reopen", () =>
    Effect.gen(function* () {
      const dataDir = yield* Effect.acquireRelease(
        Effect.promise(() => mkdtemp(join(tmpdir(), "wa-pglite-"))),
        (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
      )
      const storeIn = (dir: string) => EventStoreSql.pipe(Layer.provide(SqlDatabase.pglite({ dataDir: join(dir, "db"), schema: "wa" })))
      const [id, org] = [randomSessionId(), newOrg()]
      yield* Effect.scoped(Effect.flatMap(Layer.build(storeIn(dataDir)), (context) =>
        Context.get(context, EventStore).append(appendRequest(id, org, [], [created(id, org)]))))
      const events = yield* Effect.scoped(Effect.flatMap(Layer.build(storeIn(dataDir)), (context) =>
        Context.get(context, EventStore).readStream(id)))
      expect(events.map((e) => [e.version, e.event])).toEqual([[1, created(id, org)]])
    }), { timeout: 120_000 })

  it.scopedLive("belongs to one process at a time: a live holder refuses a second opener, a dead one's lock is taken over", () =>
    Effect.gen(function* () {
      const dataDir = yield* Effect.acquireRelease(
        Effect.promise(() => mkdtemp(join(tmpdir(), "wa-pglite-"))),
        (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
      )
      // A lock left by a process that no longer exists (kill -9) does not block.
      const deadPid = 2 ** 22 + 1
      yield* Effect.promise(() => writeFile(join(dataDir, "wa-gateway.lock"), String(deadPid)))
      // Another live process holds it: the parent of this test process.
      const open = (dir: string) => Effect.scoped(Effect.asVoid(Layer.build(SqlDatabase.pglite({ dataDir: dir }))))
      yield* open(dataDir)
      const lockAfterClose = yield* Effect.promise(() => readFile(join(dataDir, "wa-gateway.lock"), "utf8").catch(() => "gone"))
      expect(lockAfterClose).toBe("gone")

      yield* Effect.promise(() => writeFile(join(dataDir, "wa-gateway.lock"), String(process.ppid)))
      const refused = yield* Effect.flip(open(dataDir))
      expect(refused._tag).toBe("StoreUnavailable")
      expect(refused.message).toContain(`in use by process ${process.ppid}`)
    }), { timeout: 120_000 })
})

describe("SqlDatabase on PostgreSQL without a schema", () => {
  it.scopedLive("migrates into the connection's own schema even when another schema already holds Kysely's tables", () =>
    Effect.gen(function* () {
      const name = `t_db_${randomSuffix()}`
      yield* Effect.acquireRelease(
        withClient((c) => c.query(`create database ${name}`)),
        () => withClient((c) => c.query(`drop database if exists ${name} with (force)`))
      )
      const url = new URL(databaseUrl)
      url.pathname = `/${name}`
      yield* Effect.scoped(databaseIn("elsewhere", url.toString()))
      const { db } = yield* Layer.build(SqlDatabase.postgres({ url: url.toString(), poolSize: 1 })).pipe(
        Effect.map((context) => Context.get(context, SqlDatabase))
      )
      const tables = yield* Effect.promise(() =>
        sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(db))
      expect(tables.rows.map((r) => r.table_name)).toEqual(["api_keys", "connection_events", "events", "kysely_migration", "kysely_migration_lock", "session_owners", "sessions", "wa_auth", "webhook_deliveries", "webhook_replays", "webhooks"])
    }))
})
