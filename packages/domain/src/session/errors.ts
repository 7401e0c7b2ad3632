import { Schema } from "effect"

export class SessionNotFound extends Schema.TaggedError<SessionNotFound>()("SessionNotFound", {
  sessionId: Schema.String
}) {}

export class SessionExists extends Schema.TaggedError<SessionExists>()("SessionExists", {
  sessionId: Schema.String
}) {}

export class AlreadyPaired extends Schema.TaggedError<AlreadyPaired>()("AlreadyPaired", {
  sessionId: Schema.String
}) {}

export class NotPaired extends Schema.TaggedError<NotPaired>()("NotPaired", {
  sessionId: Schema.String
}) {}

export class NotPairing extends Schema.TaggedError<NotPairing>()("NotPairing", {
  sessionId: Schema.String
}) {}

export class InvalidPhone extends Schema.TaggedError<InvalidPhone>()("InvalidPhone", {
  phone: Schema.String
}) {}

/** An engine event of a pairing attempt that is no longer the current one. */
export class StalePairingAttempt extends Schema.TaggedError<StalePairingAttempt>()("StalePairingAttempt", {
  sessionId: Schema.String
}) {}

/** What each command can be refused with (DESIGN §2); every other outcome is its events. */
export interface SessionCommandErrors {
  readonly CreateSession: SessionExists | SessionNotFound
  readonly StartQrPairing: SessionNotFound | AlreadyPaired
  readonly StartCodePairing: SessionNotFound | AlreadyPaired | InvalidPhone
  readonly CompletePairing: SessionNotFound | NotPairing | StalePairingAttempt
  readonly FailPairing: SessionNotFound | NotPairing | StalePairingAttempt
  readonly Logout: SessionNotFound | NotPaired
  readonly DeleteSession: SessionNotFound
}

export type SessionError = SessionCommandErrors[keyof SessionCommandErrors]
