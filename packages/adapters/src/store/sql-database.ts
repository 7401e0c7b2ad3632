import { mkdir } from "node:fs/promises"
import { PGlite } from "@electric-sql/pglite"
import { StoreUnavailable } from "@wa-gateway/domain"
import { Context, Effect, Layer, type Scope } from "effect"
import { CompiledQuery, Kysely, PostgresDialect, sql } from "kysely"
import pg from "pg"
import { lockDataDir } from "./data-dir-lock.js"
import { migrateToLatest } from "./migrations.js"
import { withNamedStatements } from "./named-statements.js"
import { PgliteDialect } from "./pglite-dialect.js"
import type { Database } from "./schema.js"

export interface PostgresOptions {
  /** A `postgres://` URL; whatever it leaves out comes from the `PG*` variables (pg's own rule). */
  readonly url?: string | undefined
  /** The PostgreSQL schema holding the tables (created if missing); default: the server's search_path. */
  readonly schema?: string | undefined
  readonly poolSize?: number | undefined
}

export interface PgliteOptions {
  /** The directory the database persists in; omitted: in memory. */
  readonly dataDir?: string | undefined
  readonly schema?: string | undefined
}

/** The migrated database the SQL stores share; PostgreSQL and PGlite run the same SQL. */
export class SqlDatabase extends Context.Tag("wa-gateway/SqlDatabase")<SqlDatabase, {
  readonly db: Kysely<Database>
  readonly engine: "postgres" | "pglite"
  /**
   * One statement's rows, for the store's hottest statement (the append): on
   * PostgreSQL straight on the pool, without Kysely's executor; on PGlite
   * through Kysely, whose driver makes queries take turns on its one connection.
   */
  readonly rows: (text: string, values: Array<unknown>) => Promise<ReadonlyArray<unknown>>
}>() {
  /** A pg pool, migrated on start, ended on release. */
  static readonly postgres = (options: PostgresOptions = {}): Layer.Layer<SqlDatabase, StoreUnavailable> =>
    Layer.scoped(this, open("postgres", options.schema, "owned", () => {
      const pool = new pg.Pool({
        ...(options.url === undefined ? {} : { connectionString: options.url }),
        max: options.poolSize ?? 10,
        connectionTimeoutMillis: 5_000,
        ...(options.schema === undefined ? {} : { options: `-c search_path=${checkedSchema(options.schema)}` })
      })
      // A client dies when PostgreSQL stops or restarts, and pg emits `error`
      // on it; without a listener that is an uncaught error that ends the
      // process. The pool listens only while a client is idle, so every client
      // also gets its own listener for the time it is checked out: its query
      // fails (→ StoreUnavailable, 503), the pool discards it on release, and
      // the next query reconnects.
      pool.on("error", () => undefined)
      pool.on("connect", (client) => client.on("error", () => undefined))
      const named = withNamedStatements(pool)
      return Promise.resolve({ db: new Kysely<Database>({ dialect: new PostgresDialect({ pool: named }) }), rows: named.rows })
    }))

  /** An embedded PGlite, persisted in `dataDir` or in memory; closed on release. */
  static readonly pglite = (options: PgliteOptions = {}): Layer.Layer<SqlDatabase, StoreUnavailable> =>
    Layer.scoped(this, Effect.gen(function* () {
      const { dataDir } = options
      if (dataDir !== undefined) {
        yield* query(() => mkdir(dataDir, { recursive: true }), `could not create the data directory ${dataDir}`)
        yield* lockDataDir(dataDir)
      }
      return yield* open("pglite", options.schema, "owned", async () => {
        const instance = await PGlite.create(dataDir)
        return throughKysely(new Kysely<Database>({ dialect: new PgliteDialect(instance) }))
      })
    }))

  /**
   * A PGlite the caller opened and will close (it stays open on release).
   * PGlite has a single connection: two layers on one instance must not be
   * alive at once with different schemas.
   */
  static readonly pgliteFrom = (instance: PGlite, options: { readonly schema?: string | undefined } = {}): Layer.Layer<SqlDatabase, StoreUnavailable> =>
    Layer.scoped(this, open("pglite", options.schema, "borrowed", () =>
      Promise.resolve(throughKysely(new Kysely<Database>({ dialect: new PgliteDialect(instance) })))))
}

const throughKysely = (db: Kysely<Database>): Connected => ({
  db,
  rows: (text, values) => db.executeQuery(CompiledQuery.raw(text, values)).then((result) => result.rows)
})

type Connected = Pick<Context.Tag.Service<SqlDatabase>, "db" | "rows">

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

const checkedSchema = (schema: string): string => {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name: ${schema}`)
  return schema
}

const open = (
  engine: "postgres" | "pglite",
  schema: string | undefined,
  ownership: "owned" | "borrowed",
  connect: () => Promise<Connected>
): Effect.Effect<Context.Tag.Service<SqlDatabase>, StoreUnavailable, Scope.Scope> =>
  Effect.gen(function* () {
    const { db, rows } = yield* Effect.acquireRelease(
      query(connect, "could not open the database"),
      // Destroying Kysely ends the pool or closes the PGlite instance.
      ({ db }) => ownership === "owned" ? Effect.tryPromise(() => db.destroy()).pipe(Effect.ignore) : Effect.void
    )
    yield* query(async () => {
      if (schema !== undefined) {
        await sql`create schema if not exists ${sql.id(checkedSchema(schema))}`.execute(db)
        // PGlite has one connection, so setting it once holds for every query.
        if (engine === "pglite") await sql`set search_path to ${sql.id(schema)}`.execute(db)
      }
      // Name the schema even when none was asked for: Kysely otherwise finds its
      // bookkeeping tables in any schema of the database and then misses them.
      const target = schema ?? (await sql<{ name: string }>`select current_schema() as name`.execute(db)).rows[0]?.name
      const { error, results } = await migrateToLatest(db, target)
      const failed = results?.find((r) => r.status === "Error")
      if (error !== undefined) throw error
      if (failed !== undefined) throw new Error(`migration ${failed.migrationName} failed`)
    }, "could not migrate the database")
    return { db, engine, rows }
  })

/**
 * The one way a driver error leaves the SQL layer: a generic message for the
 * caller (never SQL or parameters), the cause only in the log.
 */
export const failUnavailable = (message: string, cause: unknown): Effect.Effect<never, StoreUnavailable> =>
  Effect.logWarning(message, describeCause(cause)).pipe(Effect.zipRight(Effect.fail(new StoreUnavailable({ message }))))

const describeCause = (cause: unknown): string => {
  if (typeof cause === "object" && cause !== null) {
    const code = "code" in cause && typeof cause.code === "string" ? ` (${cause.code})` : ""
    const text = cause instanceof Error ? cause.message : "driver error"
    return `${text}${code}`
  }
  return String(cause)
}

/** A unique violation of the named constraint (SQLSTATE 23505), from pg or PGlite. */
export const isUniqueViolation = (cause: unknown, constraint: string): boolean =>
  typeof cause === "object" && cause !== null &&
  "code" in cause && cause.code === "23505" &&
  "constraint" in cause && cause.constraint === constraint

/** A driver call whose failure is kept as is, for callers that tell failures apart. */
export const attempt = <A>(run: () => Promise<A>): Effect.Effect<A, unknown> =>
  Effect.tryPromise({ try: run, catch: (cause) => cause })

/** Runs one query; any driver failure becomes `StoreUnavailable`. */
export const query = <A>(run: () => Promise<A>, message = "the store is unavailable"): Effect.Effect<A, StoreUnavailable> =>
  Effect.catchAll(attempt(run), (cause) => failUnavailable(message, cause))
