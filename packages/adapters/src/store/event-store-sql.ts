import {
  type AppendRequest,
  type AppendResult,
  EventStore,
  type SessionPageRequest,
  type StoreUnavailable,
  VersionConflict
} from "@wa-gateway/domain"
import { type Context, Effect, Layer, Option } from "effect"
import { type Kysely, sql } from "kysely"
import { erasedIdentityJson } from "./erasure.js"
import { decodeSessionRow, decodeStoredEvent, encodeEvent, identityColumns } from "./event-codec.js"
import { type Database, STREAM_VERSION_CONSTRAINT } from "./schema.js"
import { attempt, failUnavailable, isUniqueViolation, query, SqlDatabase } from "./sql-database.js"

const sessionColumns = [
  "session_id", "org_id", "name", "status", "phone_number", "wa_jid", "wa_lid", "push_name", "created_at", "updated_at", "version"
] as const

const failure = "the event store is unavailable"

const eventColumns = sql`global_position::text as position, stream_id, stream_version, org_id, type, data, occurred_at`

/**
 * The append is one statement (DESIGN §3): a data-modifying CTE moves the
 * stream head in `sessions` only at the expected version, and the events are
 * inserted only for the head row it returns. Zero rows back means a stale or
 * future version, and nothing was written.
 */
const appendStatement = (request: AppendRequest) => {
  const nextVersion = request.expectedVersion + request.events.length
  const encoded = request.events.map(encodeEvent)
  const metadata = JSON.stringify(request.metadata ?? {})
  const [single] = encoded
  // One event (nearly every append) needs no VALUES list to join and sort.
  const insertEvents = encoded.length === 1 && single !== undefined
    ? sql`
      insert into events (stream_id, stream_version, org_id, type, data, metadata, occurred_at)
      select head.session_id, ${nextVersion}::integer, ${request.orgId}::text, ${single.type}::text,
             ${JSON.stringify(single.data)}::text::jsonb, ${metadata}::text::jsonb, ${request.occurredAt}::timestamptz
      from head
      returning global_position::text as position`
    : sql`
      insert into events (stream_id, stream_version, org_id, type, data, metadata, occurred_at)
      select head.session_id, e.stream_version, ${request.orgId}::text, e.type, e.data::jsonb, ${metadata}::text::jsonb,
             ${request.occurredAt}::timestamptz
      from head cross join (values ${
        sql.join(encoded.map(({ type, data }, i) =>
          sql`(${request.expectedVersion + i + 1}::integer, ${type}::text, ${JSON.stringify(data)}::text)`))
      }) as e (stream_version, type, data)
      order by e.stream_version
      returning global_position::text as position`
  const id = request.streamId
  const record = request.record

  if (record === null) {
    // Erasure, in the same statement and so the same transaction: the head
    // goes, the stream's personal data is masked, its auth state deleted —
    // all only if the head was at the expected version.
    return sql<{ position: string }>`
      with head as (
        delete from sessions where session_id = ${id} and version = ${request.expectedVersion}
        returning session_id
      ), erased_pairing as (
        update events set data = data - 'phone'
        where stream_id = ${id} and type = 'PairingStarted' and exists (select 1 from head)
      ), erased_identity as (
        update events set data = data || ${erasedIdentityJson}::text::jsonb
        where stream_id = ${id} and type = 'SessionPaired' and exists (select 1 from head)
      ), erased_auth as (
        delete from wa_auth where session_id = ${id} and exists (select 1 from head)
      )
      ${insertEvents}`
  }
  const identity = identityColumns(record)
  if (request.expectedVersion === 0) {
    return sql<{ position: string }>`
      with head as (
        insert into sessions (${sql.join(sessionColumns.map((c) => sql.id(c)))})
        values (${id}, ${record.orgId}, ${record.name}, ${record.status}, ${identity.phone_number}, ${identity.wa_jid},
                ${identity.wa_lid}, ${identity.push_name}, ${record.createdAt}::timestamptz, ${record.updatedAt}::timestamptz,
                ${nextVersion}::integer)
        on conflict (session_id) do nothing
        returning session_id
      )
      ${insertEvents}`
  }
  return sql<{ position: string }>`
    with head as (
      update sessions set
        name = ${record.name}, status = ${record.status}, phone_number = ${identity.phone_number},
        wa_jid = ${identity.wa_jid}, wa_lid = ${identity.wa_lid}, push_name = ${identity.push_name},
        updated_at = ${record.updatedAt}::timestamptz, version = ${nextVersion}::integer
      where session_id = ${id} and version = ${request.expectedVersion}
      returning session_id
    )
    ${insertEvents}`
}

const make = (db: Kysely<Database>): Context.Tag.Service<EventStore> => {
  const conflict = (request: AppendRequest) =>
    new VersionConflict({ streamId: request.streamId, expectedVersion: request.expectedVersion })

  const append = (request: AppendRequest): Effect.Effect<AppendResult, VersionConflict | StoreUnavailable> =>
    Effect.gen(function* () {
      if (request.events.length === 0) return yield* Effect.dieMessage("an append needs at least one event")
      const result = yield* attempt(() => appendStatement(request).execute(db)).pipe(
        // Creating a stream that was deleted (head gone, events kept) trips the
        // unique (stream_id, stream_version) constraint: the stream exists.
        Effect.catchAll((cause): Effect.Effect<never, VersionConflict | StoreUnavailable> =>
          isUniqueViolation(cause, STREAM_VERSION_CONSTRAINT)
            ? Effect.fail(conflict(request))
            : failUnavailable(failure, cause))
      )
      if (result.rows.length === 0) return yield* Effect.fail(conflict(request))
      const lastPosition = result.rows.reduce((max, row) => {
        const position = BigInt(row.position)
        return position > max ? position : max
      }, 0n)
      return { nextVersion: request.expectedVersion + request.events.length, lastPosition }
    })

  const readStream = (streamId: string) =>
    query(() => sql`select ${eventColumns} from events where stream_id = ${streamId} order by stream_version`.execute(db), failure).pipe(
      Effect.flatMap((result) => Effect.forEach(result.rows, decodeStoredEvent))
    )

  // Only rows of transactions older than every transaction still open: a row
  // that commits later with a smaller position is then never skipped.
  const readAll = (after: bigint, limit: number) =>
    query(() =>
      sql`
        select ${eventColumns} from events
        where global_position > ${after.toString()}::bigint
          and transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        order by global_position
        limit ${Math.max(0, Math.floor(limit))}::integer`.execute(db),
      failure
    ).pipe(Effect.flatMap((result) => Effect.forEach(result.rows, decodeStoredEvent)))

  const getSession = (sessionId: string) =>
    query(() => db.selectFrom("sessions").select(sessionColumns).where("session_id", "=", sessionId).executeTakeFirst(), failure).pipe(
      Effect.flatMap((row) => row === undefined ? Effect.succeed(Option.none()) : Effect.map(decodeSessionRow(row), Option.some))
    )

  const listSessions = (request: SessionPageRequest) =>
    query(() => {
      let q = db.selectFrom("sessions").select(sessionColumns).where("org_id", "=", request.orgId)
      const { after } = request
      if (after !== null) {
        q = q.where(({ eb, refTuple, tuple }) => eb(refTuple("created_at", "session_id"), "<", tuple(after.createdAt, after.sessionId)))
      }
      return q.orderBy("created_at", "desc").orderBy("session_id", "desc").limit(request.pageSize + 1).execute()
    }, failure).pipe(
      // One row more than the page tells whether another page follows.
      Effect.flatMap((rows) =>
        Effect.map(Effect.forEach(rows.slice(0, request.pageSize), decodeSessionRow), (sessions) => ({
          sessions,
          hasMore: rows.length > request.pageSize
        })))
    )

  return {
    append,
    readStream,
    readAll,
    getSession,
    listSessions,
    sessionsInStatus: (status) =>
      query(() =>
        db.selectFrom("sessions").select(sessionColumns).where("status", "=", status)
          .orderBy("created_at").orderBy("session_id").execute(),
        failure
      ).pipe(Effect.flatMap((rows) => Effect.forEach(rows, decodeSessionRow))),
    ping: Effect.asVoid(query(() => sql`select 1`.execute(db), failure))
  }
}

/** The event store on PostgreSQL or PGlite, whichever `SqlDatabase` is. */
export const EventStoreSql: Layer.Layer<EventStore, never, SqlDatabase> =
  Layer.effect(EventStore, Effect.map(SqlDatabase, ({ db }) => make(db)))
