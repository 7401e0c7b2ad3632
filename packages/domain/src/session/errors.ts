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

export type SessionError = SessionNotFound | SessionExists | AlreadyPaired | NotPaired | NotPairing | InvalidPhone
