import { Effect, Layer } from "effect"
import { type Kysely, sql } from "kysely"
import { type AuthStateEntry, AuthStateStore, type JsonValue } from "./auth-state-store.js"
import type { Database } from "./schema.js"
import { query, SqlDatabase } from "./sql-database.js"

const failure = "the auth state store is unavailable"

/** The last entry of each key: one upsert cannot touch a row twice. */
const lastPerKey = (entries: ReadonlyArray<AuthStateEntry>): ReadonlyArray<AuthStateEntry> =>
  [...new Map(entries.map((e) => [JSON.stringify([e.category, e.keyId]), e])).values()]

const make = (db: Kysely<Database>): typeof AuthStateStore.Service => ({
  get: (sessionId, category, keyIds) =>
    keyIds.length === 0 ? Effect.succeed(new Map()) : query(() =>
      db.selectFrom("wa_auth").select(["key_id", sql<JsonValue>`value`.as("value")])
        .where("session_id", "=", sessionId).where("category", "=", category).where("key_id", "in", keyIds)
        .execute(), failure
    ).pipe(Effect.map((rows) => new Map(rows.map((r) => [r.key_id, r.value])))),
  set: (sessionId, entries) =>
    entries.length === 0 ? Effect.void : Effect.asVoid(query(() =>
      db.insertInto("wa_auth")
        .values(lastPerKey(entries).map((e) => ({
          session_id: sessionId,
          category: e.category,
          key_id: e.keyId,
          // Sent as text and cast, so neither driver re-encodes arrays or strings.
          value: sql<string>`${JSON.stringify(e.value)}::text::jsonb`
        })))
        .onConflict((oc) => oc.columns(["session_id", "category", "key_id"]).doUpdateSet({ value: (eb) => eb.ref("excluded.value") }))
        .execute(), failure)),
  delete: (sessionId, category, keyIds) =>
    keyIds.length === 0 ? Effect.void : Effect.asVoid(query(() =>
      db.deleteFrom("wa_auth")
        .where("session_id", "=", sessionId).where("category", "=", category).where("key_id", "in", keyIds)
        .execute(), failure)),
  purge: (sessionId) => Effect.asVoid(query(() => db.deleteFrom("wa_auth").where("session_id", "=", sessionId).execute(), failure))
})

export const AuthStateStoreSql: Layer.Layer<AuthStateStore, never, SqlDatabase> =
  Layer.effect(AuthStateStore, Effect.map(SqlDatabase, ({ db }) => make(db)))
