import { OrgId } from "@wa-gateway/domain"
import { Effect, Layer, Option, Schema } from "effect"
import type { Kysely } from "kysely"
import { type ApiKeyRecord, ApiKeyStore } from "./api-key-store.js"
import type { Database } from "./schema.js"
import { query, SqlDatabase } from "./sql-database.js"

const failure = "the API key store is unavailable"

const ApiKeyRow = Schema.Struct({
  id: Schema.String,
  org_id: OrgId,
  key_hash: Schema.String,
  capabilities: Schema.Array(Schema.Literal("read", "manage")),
  label: Schema.NullOr(Schema.String),
  created_at: Schema.DateFromSelf,
  last_used_at: Schema.NullOr(Schema.DateFromSelf),
  revoked_at: Schema.NullOr(Schema.DateFromSelf)
})

const decodeRow = (row: unknown): Effect.Effect<ApiKeyRecord> =>
  Schema.decodeUnknown(ApiKeyRow)(row).pipe(
    Effect.map((r): ApiKeyRecord => ({
      id: r.id,
      orgId: r.org_id,
      keyHash: r.key_hash,
      capabilities: r.capabilities,
      label: r.label,
      createdAt: r.created_at,
      lastUsedAt: r.last_used_at,
      revokedAt: r.revoked_at
    })),
    Effect.orDieWith((error) => new Error(`an api_keys row does not decode: ${error.message}`))
  )

const make = (db: Kysely<Database>): typeof ApiKeyStore.Service => ({
  insert: (record) =>
    Effect.asVoid(query(() =>
      db.insertInto("api_keys").values({
        id: record.id,
        org_id: record.orgId,
        key_hash: record.keyHash,
        capabilities: record.capabilities,
        label: record.label,
        created_at: record.createdAt,
        last_used_at: null,
        revoked_at: null
      }).execute(), failure)),
  findByHash: (keyHash) =>
    query(() => db.selectFrom("api_keys").selectAll().where("key_hash", "=", keyHash).executeTakeFirst(), failure).pipe(
      Effect.flatMap((row) => row === undefined ? Effect.succeed(Option.none()) : Effect.map(decodeRow(row), Option.some))
    ),
  list: (orgId) =>
    query(() => db.selectFrom("api_keys").selectAll().where("org_id", "=", orgId).orderBy("created_at").orderBy("id").execute(), failure)
      .pipe(Effect.flatMap((rows) => Effect.forEach(rows, decodeRow))),
  revoke: (id, at) =>
    query(() =>
      db.updateTable("api_keys").set({ revoked_at: at }).where("id", "=", id).where("revoked_at", "is", null).executeTakeFirst(), failure
    ).pipe(Effect.map((result) => result.numUpdatedRows > 0n)),
  touch: (id, at) =>
    Effect.asVoid(query(() => db.updateTable("api_keys").set({ last_used_at: at }).where("id", "=", id).execute(), failure)),
  isEmpty: query(() => db.selectFrom("api_keys").select("id").limit(1).execute(), failure).pipe(Effect.map((rows) => rows.length === 0))
})

export const ApiKeyStoreSql: Layer.Layer<ApiKeyStore, never, SqlDatabase> =
  Layer.effect(ApiKeyStore, Effect.map(SqlDatabase, ({ db }) => make(db)))
