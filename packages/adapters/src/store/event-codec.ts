import { OrgId, SessionEvent, SessionId, type SessionRecord, type StoredEvent } from "@wa-gateway/domain"
import { Effect, Schema } from "effect"

const encodeSessionEvent = Schema.encodeSync(SessionEvent)

/**
 * How an event is stored: `type` is its `_tag`, `data` the encoded fields
 * without it. Every store writes and reads events through these functions.
 */
export const encodeEvent = (event: SessionEvent): { readonly type: string; readonly data: Record<string, unknown> } => {
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

/** Decodes a stored row; a row that does not decode is a defect of the data, not of the caller. */
export const decodeStoredEvent = (row: unknown): Effect.Effect<StoredEvent> =>
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

const SessionRow = Schema.Struct({
  session_id: SessionId,
  org_id: OrgId,
  name: Schema.String,
  status: Schema.Literal("unpaired", "pairing", "paired", "logged_out"),
  phone_number: Schema.NullOr(Schema.String),
  wa_jid: Schema.NullOr(Schema.String),
  wa_lid: Schema.NullOr(Schema.String),
  push_name: Schema.NullOr(Schema.String),
  created_at: Schema.DateFromSelf,
  updated_at: Schema.DateFromSelf,
  version: Schema.Number
})

const decodeSessionRowUnknown = Schema.decodeUnknown(SessionRow)

export const decodeSessionRow = (row: unknown): Effect.Effect<SessionRecord> =>
  decodeSessionRowUnknown(row).pipe(
    Effect.map((r): SessionRecord => ({
      sessionId: r.session_id,
      orgId: r.org_id,
      name: r.name,
      status: r.status,
      phoneNumber: r.phone_number,
      waJid: r.wa_jid,
      waLid: r.wa_lid,
      pushName: r.push_name,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      version: r.version
    })),
    Effect.orDieWith((error) => new Error(`a session row does not decode: ${error.message}`))
  )
