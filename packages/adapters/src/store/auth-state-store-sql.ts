import { type OwnershipFence, type SessionId, SessionOwnership } from "@wa-gateway/domain"
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
 * In cluster mode the head must also carry the writer's ownership fence.
 */
const writeStatement = (
  sessionId: string,
  rows: ReadonlyArray<{ readonly category: string; readonly keyId: string; readonly value: string | null }>,
  fence: Option.Option<OwnershipFence>
) =>
  sql<{ heads: number }>`
    with head as (
      select s.session_id from sessions s
      where s.session_id = ${sessionId}${
    Option.match(fence, {
      onNone: () => sql``,
      // Fenced (cluster mode): only while the writer's epoch is the session's current one.
      onSome: (epoch) => sql` and exists (select 1 from session_owners o where o.session_id = s.session_id and o.epoch = ${epoch}::integer)`
    })
  }
      for key share of s
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

const make = (db: Kysely<Database>, ownership: Option.Option<typeof SessionOwnership.Service>): typeof AuthStateStore.Service => {
  const fenceOf = (sessionId: SessionId) =>
    Option.match(ownership, { onNone: () => Effect.succeed(Option.none<OwnershipFence>()), onSome: (o) => o.fenceOf(sessionId) })

  const refusal = (sessionId: SessionId, fence: Option.Option<OwnershipFence>) =>
    Effect.gen(function* () {
      if (Option.isNone(fence)) return new AuthStateWriteRefused({ sessionId })
      const owners = yield* query(() => db.selectFrom("session_owners").select("epoch").where("session_id", "=", sessionId).execute(), failure)
      const held = owners.some((row) => row.epoch === fence.value)
      if (!held) {
        yield* Effect.logWarning("an auth-state write was refused by the ownership fence: another process owns the session").pipe(
          Effect.annotateLogs({ sessionId, fence: fence.value })
        )
      }
      return new AuthStateWriteRefused({ sessionId, reason: held ? "session_gone" : "ownership_lost" })
    })

  const write = (sessionId: SessionId, rows: Parameters<typeof writeStatement>[1]) =>
    Effect.gen(function* () {
      const fence = yield* fenceOf(sessionId)
      const result = yield* query(() => writeStatement(sessionId, rows, fence).execute(db), failure)
      if ((result.rows[0]?.heads ?? 0) > 0) return
      return yield* Effect.fail(yield* refusal(sessionId, fence))
    })

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

/** The auth state on the `SqlDatabase`; fenced when a `SessionOwnership` is in the context (cluster mode). */
export const AuthStateStoreSql: Layer.Layer<AuthStateStore, never, SqlDatabase> = Layer.effect(
  AuthStateStore,
  Effect.gen(function* () {
    const { db } = yield* SqlDatabase
    return make(db, yield* Effect.serviceOption(SessionOwnership))
  })
)
