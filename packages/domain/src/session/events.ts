import { Schema } from "effect"
import { OrgId, PairingAttemptId, PhoneNumber, SessionId } from "../ids.js"

export const PairingMethod = Schema.Literal("qr", "code")
export type PairingMethod = typeof PairingMethod.Type

export const PairingFailureReason = Schema.Literal("expired", "rejected", "engine_error")
export type PairingFailureReason = typeof PairingFailureReason.Type

export const LogoutActor = Schema.Literal("user", "device")
export type LogoutActor = typeof LogoutActor.Type

// The `_tag` of each event is its stable stored `type`; never rename one.

export class SessionCreated extends Schema.TaggedClass<SessionCreated>()("SessionCreated", {
  sessionId: SessionId,
  orgId: OrgId,
  name: Schema.String
}) {}

export class PairingStarted extends Schema.TaggedClass<PairingStarted>()("PairingStarted", {
  method: PairingMethod,
  phone: Schema.optional(PhoneNumber),
  // Optional only so that events stored before attempts had ids still decode.
  attemptId: Schema.optional(PairingAttemptId)
}) {}

// Identity fields are plain strings here: a deleted session's stream keeps its
// envelopes with these fields erased (""/null), and must still decode.
export class SessionPaired extends Schema.TaggedClass<SessionPaired>()("SessionPaired", {
  phoneNumber: Schema.String,
  waJid: Schema.String,
  waLid: Schema.NullOr(Schema.String),
  pushName: Schema.NullOr(Schema.String)
}) {}

export class PairingFailed extends Schema.TaggedClass<PairingFailed>()("PairingFailed", {
  reason: PairingFailureReason
}) {}

export class LoggedOut extends Schema.TaggedClass<LoggedOut>()("LoggedOut", {
  by: LogoutActor
}) {}

export class SessionDeleted extends Schema.TaggedClass<SessionDeleted>()("SessionDeleted", {}) {}

export const SessionEvent = Schema.Union(
  SessionCreated,
  PairingStarted,
  SessionPaired,
  PairingFailed,
  LoggedOut,
  SessionDeleted
)
export type SessionEvent = typeof SessionEvent.Type

/** The stored `type` of each event, as a schema (the HTTP event history uses it). */
export const SessionEventTypeSchema = Schema.Literal(
  "SessionCreated",
  "PairingStarted",
  "SessionPaired",
  "PairingFailed",
  "LoggedOut",
  "SessionDeleted"
)
export type SessionEventType = typeof SessionEventTypeSchema.Type

// The list above and the event union must name the same types.
const sameTypes: [SessionEventType] extends [SessionEvent["_tag"]]
  ? [SessionEvent["_tag"]] extends [SessionEventType] ? true : never
  : never = true
void sameTypes

export const sessionEventTypes: ReadonlyArray<SessionEventType> = SessionEventTypeSchema.literals
