import { Effect, Layer, Option } from "effect"
import { type Kysely, sql } from "kysely"
import { AuthStateStore, AuthStateWriteRefused, changeRows, CREDS_CATEGORY, type SignalKeyChanges } from "./auth-state-store.js"
import type { Database } from "./schema.js"
import { query, SqlDatabase } from "./sql-database.js"

const failure = "the auth state store is unavailable"

/**
 * Every write is one statement that first takes a key-share lock on the
 * session's head: with the head gone it writes nothing (zero heads back);
 * while it holds the lock an erasure waits for it, and the foreign key's
 * cascade (migration 0002) then removes what it wrote. The rows travel as
 * three arrays, so the statement text is the same whatever their number.
 */
const writeStatement = (sessionId: string, rows: ReadonlyArray<{ readonly category: string; readonly keyId: string; readonly value: string | null }>) =>
  sql<{ heads: number }>`
    with head as (
      select session_id from sessions where session_id = ${sessionId} for key share
    ), input as (
      select * from unnest(${rows.map((r) => r.category)}::text[], ${rows.map((r) => r.keyId)}::text[], ${rows.map((r) => r.value)}::text[])
        as i (category, key_id, value)
    ), removed as (
      delete from wa_auth w using input i
      where w.session_id = ${sessionId} and w.category = i.category and w.key_id = i.key_id and i.value is null
        and exists (select 1 from head)
    ), written as (
      insert into wa_auth (session_id, category, key_id, value)
      select head.session_id, i.category, i.key_id, i.value::jsonb from head, input i where i.value is not null
      on conflict (session_id, category, key_id) do update set value = excluded.value
    )
    select count(*)::int as heads from head`

const make = (db: Kysely<Database>): typeof AuthStateStore.Service => {
  const write = (sessionId: string, rows: Parameters<typeof writeStatement>[1]) =>
    query(() => writeStatement(sessionId, rows).execute(db), failure).pipe(
      Effect.flatMap((result) =>
        (result.rows[0]?.heads ?? 0) > 0 ? Effect.void : Effect.fail(new AuthStateWriteRefused({ sessionId }))))

  const select = (sessionId: string, category: string, keyIds: ReadonlyArray<string>) =>
    query(() =>
      db.selectFrom("wa_auth").select(["key_id", sql<string>`value::text`.as("value")])
        .where("session_id", "=", sessionId).where("category", "=", category).where("key_id", "in", keyIds)
        .execute(), failure)

  return {
    readCreds: (sessionId) => Effect.map(select(sessionId, CREDS_CATEGORY, [""]), (rows) => Option.fromNullable(rows[0]?.value)),
    writeCreds: (sessionId, creds) => write(sessionId, [{ category: CREDS_CATEGORY, keyId: "", value: creds }]),
    get: (sessionId, type, keyIds) =>
      keyIds.length === 0
        ? Effect.succeed(new Map())
        : Effect.map(select(sessionId, type, keyIds), (rows) => new Map(rows.map((r) => [r.key_id, r.value]))),
    set: (sessionId, changes: SignalKeyChanges) => {
      const rows = changeRows(changes)
      return rows.length === 0 ? Effect.void : write(sessionId, rows)
    },
    purge: (sessionId) => Effect.asVoid(query(() => db.deleteFrom("wa_auth").where("session_id", "=", sessionId).execute(), failure))
  }
}

export const AuthStateStoreSql: Layer.Layer<AuthStateStore, never, SqlDatabase> =
  Layer.effect(AuthStateStore, Effect.map(SqlDatabase, ({ db }) => make(db)))
