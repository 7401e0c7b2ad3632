import {
  type AppendRequest,
  type AppendResult,
  EventStore,
  OwnershipLost,
  type SessionPageRequest,
  type StoreUnavailable,
  VersionConflict
} from "@wa-gateway/domain"
import { type Context, Effect, Layer, Option } from "effect"
import { CompiledQuery, type Kysely, sql } from "kysely"
import { erasedIdentityJson } from "./erasure.js"
import { decodeSessionRow, decodeSessionRows, decodeStoredEvent, encodeEvent, identityColumns } from "./event-codec.js"
import { type Database, POSITIONS_PER_TRANSACTION, STREAM_VERSION_CONSTRAINT } from "./schema.js"
import { attempt, failUnavailable, isUniqueViolation, query, SqlDatabase } from "./sql-database.js"

const sessionColumns = [
  "session_id", "org_id", "name", "status", "phone_number", "wa_jid", "wa_lid", "push_name", "created_at", "updated_at", "version"
] as const

const failure = "the event store is unavailable"

/**
 * The read model's queries as fixed texts: Kysely's builder compiles a query
 * on every call (about a tenth of a GET's CPU in a profile of the server);
 * these are the same statements it built, compiled once.
 */
const selectSessions = `select ${sessionColumns.map((c) => `"${c}"`).join(", ")} from "sessions"`
const readModel = {
  byId: `${selectSessions} where "session_id" = $1`,
  firstPage: `${selectSessions} where "org_id" = $1 order by "created_at" desc, "session_id" desc limit $2`,
  pageAfter: `${selectSessions} where "org_id" = $1 and ("created_at", "session_id") < ($2, $3) order by "created_at" desc, "session_id" desc limit $4`,
  inStatus: `${selectSessions} where "status" = $1 order by "created_at", "session_id"`
} as const

const currentFence = `select epoch from session_owners where session_id = $1`

const eventColumns = sql`global_position::text as position, stream_id, stream_version, org_id, type, data, occurred_at`

/** Parameters of one statement, numbered as they are added (`$1`, `$2`…). */
const parameterList = () => {
  const values: Array<unknown> = []
  const add = (value: unknown): string => {
    values.push(value)
    return `$${values.length}`
  }
  return { values, add }
}

/**
 * The append is one statement (DESIGN §3): a data-modifying CTE moves the
 * stream head in `sessions` only at the expected version, and the events are
 * inserted only for the head row it returns. Zero rows back means a stale or
 * future version, and nothing was written. The text depends only on the
 * shape (create, move, erase; the number of events), so each shape is one
 * prepared statement; it is written here rather than built with Kysely's
 * `sql` template, whose compilation on every append cost as much CPU as the
 * rest of the client side (bench/store-append.ts: 16 writers 0.70× → see bench/README.md).
 */
const appendStatement = (request: AppendRequest): CompiledQuery<{ position: string }> => {
  const nextVersion = request.expectedVersion + request.events.length
  const encoded = request.events.map(encodeEvent)
  const { values, add } = parameterList()
  const id = add(request.streamId)
  const record = request.record
  // A fenced append moves an existing head only while its fence is the session's current one (a new stream has no owner yet).
  const fenced = request.fence === undefined
    ? ""
    : ` and exists (select 1 from session_owners o where o.session_id = ${id} and o.epoch = ${add(request.fence)}::integer)`

  let head: string
  if (record === null) {
    // Erasure, in the same statement and so the same transaction: the head
    // goes, the stream's personal data is masked, its auth state deleted —
    // all only if the head was at the expected version.
    head = `
      with head as (
        delete from sessions where session_id = ${id} and version = ${add(request.expectedVersion)}${fenced}
        returning session_id
      ), erased_pairing as (
        update events set data = data - 'phone'
        where stream_id = ${id} and type = 'PairingStarted' and exists (select 1 from head)
      ), erased_identity as (
        update events set data = data || ${add(erasedIdentityJson)}::text::jsonb
        where stream_id = ${id} and type = 'SessionPaired' and exists (select 1 from head)
      ), erased_auth as (
        delete from wa_auth where session_id = ${id} and exists (select 1 from head)
      )`
  } else if (request.expectedVersion === 0) {
    const identity = identityColumns(record)
    head = `
      with head as (
        insert into sessions (${sessionColumns.join(", ")})
        values (${id}, ${add(record.orgId)}, ${add(record.name)}, ${add(record.status)}, ${add(identity.phone_number)},
                ${add(identity.wa_jid)}, ${add(identity.wa_lid)}, ${add(identity.push_name)}, ${add(record.createdAt)}::timestamptz,
                ${add(record.updatedAt)}::timestamptz, ${add(nextVersion)}::integer)
        on conflict (session_id) do nothing
        returning session_id
      )`
  } else {
    const identity = identityColumns(record)
    head = `
      with head as (
        update sessions set
          name = ${add(record.name)}, status = ${add(record.status)}, phone_number = ${add(identity.phone_number)},
          wa_jid = ${add(identity.wa_jid)}, wa_lid = ${add(identity.wa_lid)}, push_name = ${add(identity.push_name)},
          updated_at = ${add(record.updatedAt)}::timestamptz, version = ${add(nextVersion)}::integer
        where session_id = ${id} and version = ${add(request.expectedVersion)}${fenced}
        returning session_id
      )`
  }

  const orgId = add(request.orgId)
  const metadata = add(JSON.stringify(request.metadata ?? {}))
  const occurredAt = add(request.occurredAt)
  const [single] = encoded
  // One event (nearly every append) needs no VALUES list to join and sort.
  const insertEvents = encoded.length === 1 && single !== undefined
    ? `
      insert into events (stream_id, stream_version, org_id, type, data, metadata, occurred_at)
      select head.session_id, ${add(nextVersion)}::integer, ${orgId}::text, ${add(single.type)}::text,
             ${add(JSON.stringify(single.data))}::text::jsonb, ${metadata}::text::jsonb, ${occurredAt}::timestamptz
      from head
      returning global_position::text as position`
    : `
      insert into events (global_position, stream_id, stream_version, org_id, type, data, metadata, occurred_at)
      select log_position(e.ordinal), head.session_id, e.stream_version, ${orgId}::text, e.type, e.data::jsonb,
             ${metadata}::text::jsonb, ${occurredAt}::timestamptz
      from head cross join (values ${
        encoded.map(({ type, data }, i) =>
          `(${i}, ${add(request.expectedVersion + i + 1)}::integer, ${add(type)}::text, ${add(JSON.stringify(data))}::text)`).join(", ")
      }) as e (ordinal, stream_version, type, data)
      order by e.stream_version
      returning global_position::text as position`
  return CompiledQuery.raw(`${head}\n${insertEvents}`, values)
}

const make = (db: Kysely<Database>): Context.Tag.Service<EventStore> => {
  const conflict = (request: AppendRequest) =>
    new VersionConflict({ streamId: request.streamId, expectedVersion: request.expectedVersion })

  const fenceHolds = (sessionId: string, fence: number) =>
    Effect.map(
      query(() => db.executeQuery<{ readonly epoch: number }>(CompiledQuery.raw(currentFence, [sessionId])), failure),
      (result) => result.rows.some((row) => row.epoch === fence)
    )

  const append = (request: AppendRequest): Effect.Effect<AppendResult, VersionConflict | StoreUnavailable | OwnershipLost> =>
    Effect.gen(function* () {
      if (request.events.length === 0) return yield* Effect.dieMessage("an append needs at least one event")
      if (request.events.length > POSITIONS_PER_TRANSACTION) {
        return yield* Effect.dieMessage(`an append takes at most ${POSITIONS_PER_TRANSACTION} events`)
      }
      const result = yield* attempt(() => db.executeQuery(appendStatement(request))).pipe(
        // Creating a stream that was deleted (head gone, events kept) trips the
        // unique (stream_id, stream_version) constraint: the stream exists.
        Effect.catchAll((cause): Effect.Effect<never, VersionConflict | StoreUnavailable> =>
          isUniqueViolation(cause, STREAM_VERSION_CONSTRAINT)
            ? Effect.fail(conflict(request))
            : failUnavailable(failure, cause))
      )
      if (result.rows.length === 0) {
        // Nothing was written: either the version moved, or (fenced) another process owns the session now.
        if (request.fence !== undefined && !(yield* fenceHolds(request.streamId, request.fence))) {
          yield* Effect.logWarning("an append was refused by the ownership fence: another process owns the session").pipe(
            Effect.annotateLogs({ sessionId: request.streamId, fence: request.fence })
          )
          return yield* Effect.fail(new OwnershipLost({ sessionId: request.streamId, fence: request.fence }))
        }
        return yield* Effect.fail(conflict(request))
      }
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

  // Only rows of transactions older than every transaction still open; as
  // positions ascend with the transaction id (migration 0005), a row that
  // becomes readable later always has a higher position than any read before.
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

  const rowsOf = (text: string, parameters: ReadonlyArray<unknown>) =>
    query(() => db.executeQuery(CompiledQuery.raw(text, [...parameters])), failure).pipe(Effect.map((result) => result.rows))

  const getSession = (sessionId: string) =>
    rowsOf(readModel.byId, [sessionId]).pipe(
      Effect.flatMap(([row]) => row === undefined ? Effect.succeed(Option.none()) : Effect.map(decodeSessionRow(row), Option.some))
    )

  const listSessions = (request: SessionPageRequest) => {
    const { after, orgId, pageSize } = request
    // One row more than the page tells whether another page follows.
    const rows = after === null
      ? rowsOf(readModel.firstPage, [orgId, pageSize + 1])
      : rowsOf(readModel.pageAfter, [orgId, after.createdAt, after.sessionId, pageSize + 1])
    return Effect.flatMap(rows, (rows) =>
      Effect.map(decodeSessionRows(rows.slice(0, pageSize), orgId), (sessions) => ({ sessions, hasMore: rows.length > pageSize })))
  }

  return {
    append,
    readStream,
    readAll,
    getSession,
    listSessions,
    sessionsInStatus: (status) => Effect.flatMap(rowsOf(readModel.inStatus, [status]), decodeSessionRows),
    sessionCounts: Effect.map(
      query(() => sql<{ status: string; count: string }>`select status, count(*)::text as count from sessions group by status`.execute(db), failure),
      (result) => {
        const counts = { unpaired: 0, pairing: 0, paired: 0, logged_out: 0 }
        for (const row of result.rows) if (isVisibleStatus(row.status)) counts[row.status] = Number(row.count)
        return counts
      }
    ),
    ping: Effect.asVoid(query(() => sql`select 1`.execute(db), failure))
  }
}

const isVisibleStatus = (status: string): status is "unpaired" | "pairing" | "paired" | "logged_out" =>
  status === "unpaired" || status === "pairing" || status === "paired" || status === "logged_out"

/** The event store on PostgreSQL or PGlite, whichever `SqlDatabase` is. */
export const EventStoreSql: Layer.Layer<EventStore, never, SqlDatabase> =
  Layer.effect(EventStore, Effect.map(SqlDatabase, ({ db }) => make(db)))
