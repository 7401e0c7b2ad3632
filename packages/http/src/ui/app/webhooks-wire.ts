import { array, boolean, type Decoded, integer, literal, nullable, object, string, timestamp } from "./decode.js"

// The webhook bodies of spec/EVENTS.md, checked as they arrive.

/** What a subscription may ask for: the durable types, and `session.qr` (opt-in: it carries a pairing secret). */
export const SUBSCRIBABLE_TYPES = [
  "session.created",
  "session.pairing_started",
  "session.paired",
  "session.pairing_failed",
  "session.logged_out",
  "session.deleted",
  "session.connected",
  "session.disconnected",
  "session.qr"
] as const

export const DEFAULT_TYPES: ReadonlyArray<string> = SUBSCRIBABLE_TYPES.filter((type) => type !== "session.qr")

const webhookFields = {
  webhookId: string,
  url: string,
  events: array(string),
  sessionIds: nullable(array(string)),
  description: nullable(string),
  enabled: boolean,
  createdAt: timestamp,
  updatedAt: timestamp
}

export const Webhook = object(webhookFields)
export type Webhook = Decoded<typeof Webhook>

/** The answer to `POST /webhooks`: the only time the secret is shown. */
export const CreatedWebhook = object({ ...webhookFields, secret: string })
export type CreatedWebhook = Decoded<typeof CreatedWebhook>

export const WebhookList = object({ webhooks: array(Webhook), nextPageToken: nullable(string) })
export type WebhookList = Decoded<typeof WebhookList>

export const DeliveryStatus = literal("pending", "succeeded", "failed")
export type DeliveryStatus = Decoded<typeof DeliveryStatus>

export const Delivery = object({
  deliveryId: string,
  eventType: string,
  // Connection events have no log position.
  position: nullable(integer),
  status: DeliveryStatus,
  attempts: integer,
  lastStatusCode: nullable(integer),
  lastError: nullable(string),
  nextAttemptAt: nullable(timestamp),
  createdAt: timestamp,
  updatedAt: timestamp
})
export type Delivery = Decoded<typeof Delivery>

export const DeliveryList = object({ deliveries: array(Delivery), nextPageToken: nullable(string) })
