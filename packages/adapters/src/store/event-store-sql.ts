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
import { CompiledQuery, sql } from "kysely"
import { erasedIdentityJson } from "./erasure.js"
import { decodeSessionRow, decodeSessionRows, decodeStoredEvents, encodeEvent, identityColumns } from "./event-codec.js"
import { POSITIONS_PER_TRANSACTION, STREAM_VERSION_CONSTRAINT } from "./schema.js"
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

/** The head move an append makes: create the stream, move it, or end it (erasure). */
type HeadShape = "create" | "move" | "erase"

/** `$1`, `$2`…: the placeholder of the next parameter on each call. */
const placeholders = () => {
  let next = 1
  return () => `$${next++}`
}

/**
 * The append's text for one shape, parameters numbered in the order
 * `appendParameters` lists them: stream id, the head's columns, the fence,
 * then the events' envelope and each event.
 */
const appendText = (shape: HeadShape, fenced: boolean, eventCount: number): string => {
  const p = placeholders()
  const id = p()
  let head: string
  if (shape === "erase") {
    const expected = p()
    const erasedIdentity = p()
    // Erasure, in the same statement and so the same transaction: the head
    // goes, the stream's personal data is masked, its auth state deleted —
    // all only if the head was at the expected version.
    head = `
      with head as (
        delete from sessions where session_id = ${id} and version = ${expected}${fenceCheck(id, fenced, p)}
        returning session_id
      ), erased_pairing as (
        update events set data = data - 'phone'
        where stream_id = ${id} and type = 'PairingStarted' and exists (select 1 from head)
      ), erased_identity as (
        update events set data = data || ${erasedIdentity}::text::jsonb
        where stream_id = ${id} and type = 'SessionPaired' and exists (select 1 from head)
      ), erased_auth as (
        delete from wa_auth where session_id = ${id} and exists (select 1 from head)
      )`
  } else if (shape === "create") {
    // A new stream has no owner yet: a create is never fenced.
    head = `
      with head as (
        insert into sessions (${sessionColumns.join(", ")})
        values (${id}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}::timestamptz, ${p()}::timestamptz, ${p()}::integer)
        on conflict (session_id) do nothing
        returning session_id
      )`
  } else {
    head = `
      with head as (
        update sessions set
          name = ${p()}, status = ${p()}, phone_number = ${p()}, wa_jid = ${p()}, wa_lid = ${p()}, push_name = ${p()},
          updated_at = ${p()}::timestamptz, version = ${p()}::integer
        where session_id = ${id} and version = ${p()}${fenceCheck(id, fenced, p)}
        returning session_id
      )`
  }
  const orgId = p()
  const metadata = p()
  const occurredAt = p()
  // One event (nearly every append) needs no VALUES list to join and sort.
  const insertEvents = eventCount === 1
    ? `
      insert into events (stream_id, stream_version, org_id, type, data, metadata, occurred_at)
      select head.session_id, ${p()}::integer, ${orgId}::text, ${p()}::text, ${p()}::text::jsonb, ${metadata}::text::jsonb, ${occurredAt}::timestamptz
      from head
      returning global_position::text as position`
    : `
      insert into events (global_position, stream_id, stream_version, org_id, type, data, metadata, occurred_at)
      select log_position(e.ordinal), head.session_id, e.stream_version, ${orgId}::text, e.type, e.data::jsonb,
             ${metadata}::text::jsonb, ${occurredAt}::timestamptz
      from head cross join (values ${
        Array.from({ length: eventCount }, (_, i) => `(${i}, ${p()}::integer, ${p()}::text, ${p()}::text)`).join(", ")
      }) as e (ordinal, stream_version, type, data)
      order by e.stream_version
      returning global_position::text as position`
  return `${head}\n${insertEvents}`
}

// A fenced append moves an existing head only while its fence is the session's current one.
const fenceCheck = (id: string, fenced: boolean, p: () => string): string =>
  fenced ? ` and exists (select 1 from session_owners o where o.session_id = ${id} and o.epoch = ${p()}::integer)` : ""

const shapeOf = (request: AppendRequest): HeadShape =>
  request.record === null ? "erase" : request.expectedVersion === 0 ? "create" : "move"

/** The parameters of `appendText` for this request, in its order. */
const appendParameters = (request: AppendRequest, shape: HeadShape): Array<unknown> => {
  const { record, expectedVersion, events } = request
  const nextVersion = expectedVersion + events.length
  const values: Array<unknown> = [request.streamId]
  if (record === null) {
    values.push(expectedVersion, erasedIdentityJson)
  } else {
    const identity = identityColumns(record)
    if (shape === "create") {
      values.push(record.orgId, record.name, record.status, identity.phone_number, identity.wa_jid, identity.wa_lid, identity.push_name,
        record.createdAt, record.updatedAt, nextVersion)
    } else {
      values.push(record.name, record.status, identity.phone_number, identity.wa_jid, identity.wa_lid, identity.push_name,
        record.updatedAt, nextVersion, expectedVersion)
    }
  }
  if (request.fence !== undefined && shape !== "create") values.push(request.fence)
  values.push(request.orgId, request.metadata === undefined ? "{}" : JSON.stringify(request.metadata), request.occurredAt)
  events.forEach((event, i) => {
    const { type, data } = encodeEvent(event)
    values.push(expectedVersion + i + 1, type, JSON.stringify(data))
  })
  return values
}

/**
 * The texts of one-event appends (nearly all of them), built once: building
 * the text on every append, and hashing a new string of it to find its
 * prepared statement, was a large part of the append's client-side CPU.
 */
const oneEventTexts: Record<HeadShape, { readonly unfenced: string; readonly fenced: string }> = {
  create: { unfenced: appendText("create", false, 1), fenced: appendText("create", false, 1) },
  move: { unfenced: appendText("move", false, 1), fenced: appendText("move", true, 1) },
  erase: { unfenced: appendText("erase", false, 1), fenced: appendText("erase", true, 1) }
}

/**
 * The append is one statement (DESIGN §3): a data-modifying CTE moves the
 * stream head in `sessions` only at the expected version, and the events are
 * inserted only for the head row it returns. Zero rows back means a stale or
 * future version, and nothing was written. The text depends only on the
 * shape (create, move, erase; fenced or not; the number of events), so each
 * shape is one prepared statement.
 */
const appendStatement = (request: AppendRequest): { readonly text: string; readonly values: Array<unknown> } => {
  const shape = shapeOf(request)
  const fenced = request.fence !== undefined
  const texts = request.events.length === 1 ? oneEventTexts[shape] : undefined
  const text = texts === undefined ? appendText(shape, fenced, request.events.length) : fenced ? texts.fenced : texts.unfenced
  return { text, values: appendParameters(request, shape) }
}

/** The highest position the append's rows report (`global_position::text`); anything else is a defect of the driver. */
const lastPositionOf = (rows: ReadonlyArray<unknown>): bigint | undefined => {
  let last = 0n
  for (const row of rows) {
    if (typeof row !== "object" || row === null || !("position" in row) || typeof row.position !== "string") return undefined
    const position = BigInt(row.position)
    if (position > last) last = position
  }
  return last
}

const make = ({ db, rows: statementRows }: Context.Tag.Service<SqlDatabase>): Context.Tag.Service<EventStore> => {
  const conflict = (request: AppendRequest) =>
    new VersionConflict({ streamId: request.streamId, expectedVersion: request.expectedVersion })

  const fenceHolds = (sessionId: string, fence: number) =>
    Effect.map(
      query(() => db.executeQuery<{ readonly epoch: number }>(CompiledQuery.raw(currentFence, [sessionId])), failure),
      (result) => result.rows.some((row) => row.epoch === fence)
    )

  const refused = (request: AppendRequest): Effect.Effect<never, VersionConflict | StoreUnavailable | OwnershipLost> => {
    const { fence } = request
    if (fence === undefined) return Effect.fail(conflict(request))
    // Nothing was written: either the version moved, or another process owns the session now.
    return Effect.flatMap(fenceHolds(request.streamId, fence), (holds): Effect.Effect<never, VersionConflict | OwnershipLost> =>
      holds
        ? Effect.fail(conflict(request))
        : Effect.logWarning("an append was refused by the ownership fence: another process owns the session").pipe(
          Effect.annotateLogs({ sessionId: request.streamId, fence }),
          Effect.zipRight(Effect.fail(new OwnershipLost({ sessionId: request.streamId, fence })))
        ))
  }

  // Plain combinators rather than Effect.gen: this runs once per append, and the generator showed in its client-side profile.
  const append = (request: AppendRequest): Effect.Effect<AppendResult, VersionConflict | StoreUnavailable | OwnershipLost> =>
    Effect.suspend(() => {
      if (request.events.length === 0) return Effect.dieMessage("an append needs at least one event")
      if (request.events.length > POSITIONS_PER_TRANSACTION) {
        return Effect.dieMessage(`an append takes at most ${POSITIONS_PER_TRANSACTION} events`)
      }
      const { text, values } = appendStatement(request)
      return attempt(() => statementRows(text, values)).pipe(
        Effect.matchEffect({
          // Creating a stream that was deleted (head gone, events kept) trips the
          // unique (stream_id, stream_version) constraint: the stream exists.
          onFailure: (cause): Effect.Effect<never, VersionConflict | StoreUnavailable> =>
            isUniqueViolation(cause, STREAM_VERSION_CONSTRAINT) ? Effect.fail(conflict(request)) : failUnavailable(failure, cause),
          onSuccess: (rows): Effect.Effect<AppendResult, VersionConflict | StoreUnavailable | OwnershipLost> => {
            if (rows.length === 0) return refused(request)
            const lastPosition = lastPositionOf(rows)
            return lastPosition === undefined
              ? Effect.dieMessage("an append's rows carry no position")
              : Effect.succeed({ nextVersion: request.expectedVersion + request.events.length, lastPosition })
          }
        })
      )
    })

  const readStream = (streamId: string) =>
    query(() => sql`select ${eventColumns} from events where stream_id = ${streamId} order by stream_version`.execute(db), failure).pipe(
      Effect.flatMap((result) => decodeStoredEvents(result.rows))
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
    ).pipe(Effect.flatMap((result) => decodeStoredEvents(result.rows)))

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
  Layer.effect(EventStore, Effect.map(SqlDatabase, make))
