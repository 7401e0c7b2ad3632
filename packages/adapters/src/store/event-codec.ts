import {
  isSessionId,
  LoggedOut,
  OrgId,
  PairingAttemptId,
  PairingFailed,
  PairingStarted,
  PhoneNumber,
  SessionCreated,
  SessionDeleted,
  SessionEvent,
  type SessionEventType,
  SessionId,
  SessionPaired,
  type SessionRecord,
  type StoredEvent,
  WaIdentity
} from "@wa-gateway/domain"
import { Effect, Predicate, Schema } from "effect"

const encodeSessionEvent = Schema.encodeSync(SessionEvent)

/**
 * How an event is stored: `type` is its `_tag`, `data` the encoded fields
 * without it. Every store writes and reads events through these functions.
 */
export const encodeEvent = (event: SessionEvent): { readonly type: SessionEventType; readonly data: Record<string, unknown> } => {
  const { _tag, ...data } = encodeSessionEvent(event)
  return { type: _tag, data }
}

const decodeEventUnknown = Schema.decodeUnknown(SessionEvent)

/** A row as both drivers return it, with the position selected as text. */
const EventRow = Schema.Struct({
  position: Schema.BigInt,
  stream_id: SessionId,
  stream_version: Schema.Number,
  org_id: OrgId,
  type: Schema.String,
  data: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  occurred_at: Schema.DateFromSelf
})

const decodeEventRow = Schema.decodeUnknown(EventRow)

/** Through the schema: slower, the one that says what is wrong with a row, and the reference the fast path is tested against. */
export const decodeStoredEventBySchema = (row: unknown): Effect.Effect<StoredEvent> =>
  Effect.gen(function* () {
    const r = yield* decodeEventRow(row)
    const event = yield* decodeEventUnknown({ ...r.data, _tag: r.type })
    return {
      position: r.position,
      streamId: r.stream_id,
      version: r.stream_version,
      orgId: r.org_id,
      event,
      occurredAt: r.occurred_at
    } satisfies StoredEvent
  }).pipe(Effect.orDieWith((error) => new Error(`a stored event does not decode: ${error.message}`)))

const isOrgId = Schema.is(OrgId)
const isPhoneNumber = Schema.is(PhoneNumber)
const isPairingAttemptId = Schema.is(PairingAttemptId)
const isNullOrString = (u: unknown): u is string | null => u === null || typeof u === "string"
/** A position as PostgreSQL prints a bigint (`global_position::text`); anything else is the schema's to judge. */
const POSITION = /^[0-9]+$/

/**
 * The event when its stored data is exactly what its schema accepts, checked
 * by hand; anything else is left to the schema (`undefined`). Only the
 * fields the schema reads are taken, as it does (extra keys are dropped).
 */
const decodeValidEvent = (type: unknown, data: { readonly [key: string]: unknown }): SessionEvent | undefined => {
  switch (type) {
    case "SessionCreated": {
      const { sessionId, orgId, name } = data
      return isSessionId(sessionId) && isOrgId(orgId) && typeof name === "string"
        ? new SessionCreated({ sessionId, orgId, name }, true)
        : undefined
    }
    case "PairingStarted": {
      const { method, phone, attemptId } = data
      if (method !== "qr" && method !== "code") return undefined
      if (phone !== undefined && !isPhoneNumber(phone)) return undefined
      if (attemptId !== undefined && !isPairingAttemptId(attemptId)) return undefined
      // A key present with `undefined` (never so in JSON) is kept by the schema: its call.
      if ((phone === undefined && "phone" in data) || (attemptId === undefined && "attemptId" in data)) return undefined
      return new PairingStarted({ method, ...(phone === undefined ? {} : { phone }), ...(attemptId === undefined ? {} : { attemptId }) }, true)
    }
    case "SessionPaired": {
      const { phoneNumber, waJid, waLid, pushName } = data
      return typeof phoneNumber === "string" && typeof waJid === "string" && isNullOrString(waLid) && isNullOrString(pushName)
        ? new SessionPaired({ phoneNumber, waJid, waLid, pushName }, true)
        : undefined
    }
    case "PairingFailed": {
      const { reason } = data
      return reason === "expired" || reason === "rejected" || reason === "engine_error" ? new PairingFailed({ reason }, true) : undefined
    }
    case "LoggedOut": {
      const { by } = data
      return by === "user" || by === "device" ? new LoggedOut({ by }, true) : undefined
    }
    case "SessionDeleted":
      return new SessionDeleted({}, true)
    default:
      return undefined
  }
}

/**
 * A guard that remembers the last value it passed: a stream's rows all carry
 * the same stream and org ids, so equality proves them after the first row.
 */
const rememberingGuard = <A>(is: (u: unknown) => u is A) => {
  let last: A | undefined
  return (u: unknown): A | undefined => {
    if (last !== undefined && u === last) return last
    if (!is(u)) return undefined
    last = u
    return u
  }
}

/** The id checks of one batch of rows. */
const idChecks = () => ({ streamId: rememberingGuard(isSessionId), orgId: rememberingGuard(isOrgId) })

/**
 * The row when it is exactly what EventRow and its event's schema accept,
 * checked by hand; anything else is left to the schema (`undefined`).
 * Through the schema a row of a 10,000-event stream cost about 6 µs, this
 * about 1 µs (bench/rehydrate.ts); the two agree on every row
 * (event-codec.unit.spec.ts, which also calls this directly).
 */
export const decodeValidStoredEvent = (row: unknown, ids: ReturnType<typeof idChecks> = idChecks()): StoredEvent | undefined => {
  if (!Predicate.isRecord(row)) return undefined
  const { position, stream_id, stream_version, org_id, type, data, occurred_at } = row
  if (typeof position !== "string" || !POSITION.test(position) || typeof stream_version !== "number" || !(occurred_at instanceof Date)) {
    return undefined
  }
  if (!Predicate.isRecord(data)) return undefined
  const streamId = ids.streamId(stream_id)
  const orgId = ids.orgId(org_id)
  if (streamId === undefined || orgId === undefined) return undefined
  const event = decodeValidEvent(type, data)
  return event === undefined
    ? undefined
    : { position: BigInt(position), streamId, version: stream_version, orgId, event, occurredAt: occurred_at }
}

/** Decodes a stored row; a row that does not decode is a defect of the data, not of the caller. */
export const decodeStoredEvent = (row: unknown): Effect.Effect<StoredEvent> => {
  const stored = decodeValidStoredEvent(row)
  return stored === undefined ? decodeStoredEventBySchema(row) : Effect.succeed(stored)
}

/**
 * Rows of the log, in one synchronous loop when all are valid (a stream of
 * 10,000: one effect, not one per row); else row by row, each bad one
 * explained by the schema.
 */
export const decodeStoredEvents = (rows: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<StoredEvent>> => {
  const ids = idChecks()
  const events: Array<StoredEvent> = []
  for (const row of rows) {
    const stored = decodeValidStoredEvent(row, ids)
    if (stored === undefined) return Effect.forEach(rows, decodeStoredEvent)
    events.push(stored)
  }
  return Effect.succeed(events)
}

const rowFields = {
  session_id: SessionId,
  org_id: OrgId,
  name: Schema.String,
  created_at: Schema.DateFromSelf,
  updated_at: Schema.DateFromSelf,
  version: Schema.Number
}

/** A row of the read model: a paired one has its identity columns set, any other has them null. */
const SessionRow = Schema.Union(
  Schema.Struct({
    ...rowFields,
    status: Schema.Literal("paired"),
    phone_number: PhoneNumber,
    wa_jid: Schema.String,
    wa_lid: Schema.NullOr(Schema.String),
    push_name: Schema.NullOr(Schema.String)
  }),
  Schema.Struct({
    ...rowFields,
    status: Schema.Literal("unpaired", "pairing", "logged_out"),
    phone_number: Schema.Null,
    wa_jid: Schema.Null,
    wa_lid: Schema.Null,
    push_name: Schema.Null
  })
)

const decodeSessionRowUnknown = Schema.decodeUnknown(SessionRow)

/** Through the schema: slower, the one that says what is wrong with a row, and the reference the fast path is tested against. */
export const decodeSessionRowBySchema = (row: unknown): Effect.Effect<SessionRecord> =>
  decodeSessionRowUnknown(row).pipe(
    Effect.map((r): SessionRecord => {
      const fields = { sessionId: r.session_id, orgId: r.org_id, name: r.name, createdAt: r.created_at, updatedAt: r.updated_at, version: r.version }
      return r.status === "paired"
        ? {
          ...fields,
          status: "paired",
          identity: new WaIdentity({ phoneNumber: r.phone_number, waJid: r.wa_jid, waLid: r.wa_lid, pushName: r.push_name })
        }
        : { ...fields, status: r.status, identity: null }
    }),
    Effect.orDieWith((error) => new Error(`a session row does not decode: ${error.message}`))
  )

const isWaJid = Schema.is(WaIdentity.fields.waJid)

/**
 * The row when it is exactly what SessionRow and WaIdentity accept, checked by
 * hand with the domain's own guards for the ids; anything else is left to the
 * schema (`undefined`). Decoding a page of 50 rows through the schema (and a
 * validating WaIdentity constructor per paired row) took 2–7 µs a row, this
 * well under 1 µs; the two agree on every row (event-codec.unit.spec.ts).
 */
const decodeValidSessionRow = (row: unknown, org?: OrgId): SessionRecord | undefined => {
  // Read in place, as the stored-event rows are: copying every row first was work a page did 50 times.
  if (!Predicate.isRecord(row)) return undefined
  const { session_id, org_id, name, created_at, updated_at, version, status, phone_number, wa_jid, wa_lid, push_name } = row
  // A row of the org a page was asked for carries that (already valid) org id: equality proves it.
  const validOrg = org !== undefined && org_id === org ? org : isOrgId(org_id) ? org_id : undefined
  if (
    !isSessionId(session_id) || validOrg === undefined || typeof name !== "string" || !(created_at instanceof Date) ||
    !(updated_at instanceof Date) || typeof version !== "number"
  ) return undefined
  // One object literal per branch: spreading the common fields into each made
  // V8 build the record the slow way, about 1.5 µs a row (a page of 50: 70 µs).
  if (status === "paired") {
    if (!isPhoneNumber(phone_number) || !isWaJid(wa_jid) || !isNullOrString(wa_lid) || !isNullOrString(push_name)) {
      return undefined
    }
    // Every field was just checked against WaIdentity's own schemas: the constructor need not check them again.
    const identity = new WaIdentity({ phoneNumber: phone_number, waJid: wa_jid, waLid: wa_lid, pushName: push_name }, true)
    return { sessionId: session_id, orgId: validOrg, name, createdAt: created_at, updatedAt: updated_at, version, status, identity }
  }
  if (status !== "unpaired" && status !== "pairing" && status !== "logged_out") return undefined
  if (phone_number !== null || wa_jid !== null || wa_lid !== null || push_name !== null) return undefined
  return { sessionId: session_id, orgId: validOrg, name, createdAt: created_at, updatedAt: updated_at, version, status, identity: null }
}

/** A row of the read model; a row that does not decode is a defect of the data. */
export const decodeSessionRow = (row: unknown): Effect.Effect<SessionRecord> => {
  const record = decodeValidSessionRow(row)
  return record === undefined ? decodeSessionRowBySchema(row) : Effect.succeed(record)
}

/** Rows of the read model, in one step when all are valid (a page of them: one effect, not one per row). */
export const decodeSessionRows = (rows: ReadonlyArray<unknown>, org?: OrgId): Effect.Effect<ReadonlyArray<SessionRecord>> => {
  const records: Array<SessionRecord> = []
  for (const row of rows) {
    const record = decodeValidSessionRow(row, org)
    if (record === undefined) return Effect.forEach(rows, decodeSessionRow)
    records.push(record)
  }
  return Effect.succeed(records)
}

/** The identity columns of a read model row (all null unless paired). */
export const identityColumns = (record: SessionRecord) => ({
  phone_number: record.identity?.phoneNumber ?? null,
  wa_jid: record.identity?.waJid ?? null,
  wa_lid: record.identity?.waLid ?? null,
  push_name: record.identity?.pushName ?? null
})
