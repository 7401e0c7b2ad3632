import { Schema } from "effect"

/** No such webhook in the caller's org (another org's is indistinguishable from a missing one). */
export class WebhookNotFound extends Schema.TaggedError<WebhookNotFound>()("WebhookNotFound", {
  webhookId: Schema.String
}) {}

/** A `sessionIds` entry that is not a session of the caller's org: unknown, malformed or another org's. */
export class InvalidWebhookSessions extends Schema.TaggedError<InvalidWebhookSessions>()("InvalidWebhookSessions", {
  sessionId: Schema.String
}) {}
