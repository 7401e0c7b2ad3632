import { randomBytes } from "node:crypto"
import { PGlite } from "@electric-sql/pglite"
import { CROCKFORD_ALPHABET, SessionId, type StoreUnavailable } from "@wa-gateway/domain"
import { Effect, Layer, type Scope } from "effect"
import pg from "pg"
import { SqlDatabase } from "./sql-database.js"

/** Tests need PostgreSQL: an unreachable server fails them, never skips them. */
export const databaseUrl = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"


/** A fresh valid session id (random, not time-ordered). */
export const randomSessionId = (): SessionId =>
  SessionId.make(`sess_${[...randomBytes(26)].map((b) => CROCKFORD_ALPHABET[b % 32]).join("")}`)

export const randomSuffix = (): string => randomBytes(6).toString("hex")

/** Runs SQL on its own short-lived client, outside any store. */
export const withClient = <A>(run: (client: pg.Client) => Promise<A>): Effect.Effect<A> =>
  Effect.promise(async () => {
    const client = new pg.Client({ connectionString: databaseUrl })
    await client.connect()
    try {
      return await run(client)
    } finally {
      await client.end()
    }
  })

/** A schema `t_<random>` for this scope, dropped when it closes. */
export const freshSchema: Effect.Effect<string, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => `t_${randomSuffix()}`),
  (schema) => withClient((c) => c.query(`drop schema if exists "${schema}" cascade`))
)

/** A migrated PostgreSQL database in a fresh schema, dropped on release. */
export const postgresTestDatabase = (poolSize = 4): Layer.Layer<SqlDatabase, StoreUnavailable> =>
  Layer.unwrapScoped(Effect.map(freshSchema, (schema) => SqlDatabase.postgres({ url: databaseUrl, schema, poolSize })))

// Creating a PGlite costs 5–15 s, so a test file opens one and its suites
// share it, each in its own schema (suites run one after another, which the
// single PGlite connection needs). Vitest loads this module once per file.
let filePglite: Promise<PGlite> | undefined

/** A migrated database in `schema` of this test file's PGlite. */
export const pgliteTestDatabase = (schema: string): Layer.Layer<SqlDatabase, StoreUnavailable> =>
  Layer.unwrapEffect(Effect.map(
    Effect.promise(() => (filePglite ??= PGlite.create())),
    (instance) => SqlDatabase.pgliteFrom(instance, { schema })
  ))

/** For `afterAll`: closes this file's PGlite, if one was opened. */
export const closeFilePglite = async (): Promise<void> => {
  const opened = filePglite
  filePglite = undefined
  if (opened !== undefined) await (await opened).close()
}
