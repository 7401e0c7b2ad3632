import { Effect, Schema } from "effect"
import { makeUlid } from "@wa-gateway/domain"

export const WebhookId = Schema.String.pipe(
  Schema.pattern(/^wh_[0-9A-HJKMNP-TV-Z]{26}$/),
  Schema.brand("WebhookId"),
  Schema.annotations({ identifier: "WebhookId", description: "`wh_` + a 26-character ULID" })
)
export type WebhookId = typeof WebhookId.Type

export const DeliveryId = Schema.String.pipe(
  Schema.pattern(/^dlv_[0-9A-HJKMNP-TV-Z]{26}$/),
  Schema.brand("DeliveryId"),
  Schema.annotations({ identifier: "DeliveryId" })
)
export type DeliveryId = typeof DeliveryId.Type

export const makeWebhookId: Effect.Effect<WebhookId> = Effect.map(makeUlid, (ulid) => WebhookId.make(`wh_${ulid}`))

export const makeDeliveryId: Effect.Effect<DeliveryId> = Effect.map(makeUlid, (ulid) => DeliveryId.make(`dlv_${ulid}`))

/** A test message has no event behind it: an id of its own. */
export const makeTestMessageId: Effect.Effect<string> = Effect.map(makeUlid, (ulid) => `msg_${ulid}`)

// `webhook-id` (Standard Webhooks) is stable for one event and one subscription,
// so a receiver deduplicates retries and replays by it: derived, never random.

/** The message id of a log event for a subscription. */
export const logMessageId = (webhookId: WebhookId, position: bigint): string => `msg_${webhookId.slice(3)}_${position}`

/** The message id of a recorded connection change for a subscription. */
export const connectionMessageId = (webhookId: WebhookId, position: bigint): string => `msg_${webhookId.slice(3)}_c${position}`
