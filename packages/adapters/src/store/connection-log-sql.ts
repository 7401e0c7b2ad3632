import { DisconnectCause, OrgId, SessionId } from "@wa-gateway/domain"
import { Effect, Layer, Schema } from "effect"
import { type Kysely, sql } from "kysely"
import { type ConnectionEvent, type ConnectionEventInput, ConnectionLog } from "./connection-log.js"
import type { Database } from "./schema.js"
import { query, SqlDatabase } from "./sql-database.js"

const failure = "the connection log is unavailable"

const Status = Schema.Literal("unpaired", "pairing", "paired", "logged_out")

/** A connection_events row as selected below (positions as text: pg returns int8 as a string, PGlite as a number). */
export const ConnectionEventRow = Schema.Struct({
  position: Schema.String,
  session_id: SessionId,
  org_id: OrgId,
  type: Schema.Literal("session.connected", "session.disconnected"),
  cause: Schema.NullOr(DisconnectCause),
  will_reconnect: Schema.NullOr(Schema.Boolean),
  status: Status,
  occurred_at: Schema.DateFromSelf
})

export const connectionEventColumns = sql`c.position::text as position, c.session_id, c.org_id, c.type, c.cause, c.will_reconnect, c.status, c.occurred_at`

export const decodeConnectionEvent = (row: unknown): Effect.Effect<ConnectionEvent> =>
  Schema.decodeUnknown(ConnectionEventRow)(row).pipe(
    Effect.map((r): ConnectionEvent => ({
      position: BigInt(r.position),
      sessionId: r.session_id,
      orgId: r.org_id,
      change: r.type === "session.connected"
        ? { _tag: "Connected" }
        : { _tag: "Disconnected", cause: r.cause ?? "unknown", willReconnect: r.will_reconnect ?? false },
      status: r.status,
      occurredAt: r.occurred_at
    })),
    Effect.orDieWith((error) => new Error(`a connection_events row does not decode: ${error.message}`))
  )

const make = (db: Kysely<Database>): typeof ConnectionLog.Service => ({
  record: (input: ConnectionEventInput) =>
    query(() =>
      db.insertInto("connection_events").values({
        session_id: input.sessionId,
        org_id: input.orgId,
        type: input.change._tag === "Connected" ? "session.connected" : "session.disconnected",
        cause: input.change._tag === "Disconnected" ? input.change.cause : null,
        will_reconnect: input.change._tag === "Disconnected" ? input.change.willReconnect : null,
        status: input.status,
        occurred_at: input.occurredAt
      }).returning(sql<string>`position::text`.as("position")).executeTakeFirstOrThrow(), failure).pipe(
        Effect.map((row) => ({ ...input, position: BigInt(row.position) }))
      ),
  // The event log's rule: only rows of transactions older than every one still open.
  readAfter: (position, limit) =>
    query(() =>
      sql`
        select ${connectionEventColumns} from connection_events c
        where c.position > ${position.toString()}::bigint
          and c.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        -- the column, not its text alias
        order by c.position
        limit ${Math.max(0, Math.floor(limit))}::integer`.execute(db), failure).pipe(
      Effect.flatMap((result) => Effect.forEach(result.rows, decodeConnectionEvent))
    ),
  head: query(() =>
    sql<{ position: string }>`
      select c.position::text as position from connection_events c
      where c.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
      order by c.position desc limit 1`.execute(db), failure).pipe(
    Effect.map((result) => BigInt(result.rows[0]?.position ?? "0"))
  )
})

/** The connection log on PostgreSQL or PGlite, whichever `SqlDatabase` is. */
export const ConnectionLogSql: Layer.Layer<ConnectionLog, never, SqlDatabase> =
  Layer.effect(ConnectionLog, Effect.map(SqlDatabase, ({ db }) => make(db)))
