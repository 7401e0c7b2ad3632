import type { DeliveryRecord, WebhookRecord } from "../store/webhook-store.js"
import type { SubscribableEventType } from "./event-types.js"

/** The webhook of spec/EVENTS.md: never its secret. The HTTP body and `createGateway`'s objects. */
export interface WebhookRepresentation {
  readonly webhookId: string
  readonly url: string
  readonly events: ReadonlyArray<SubscribableEventType>
  readonly sessionIds: ReadonlyArray<string> | null
  readonly description: string | null
  readonly enabled: boolean
  readonly createdAt: Date
  readonly updatedAt: Date
}

export const toWebhookRepresentation = (record: WebhookRecord): WebhookRepresentation => ({
  webhookId: record.webhookId,
  url: record.url,
  events: record.events,
  sessionIds: record.sessionIds,
  description: record.description,
  enabled: record.enabled,
  createdAt: record.createdAt,
  updatedAt: record.updatedAt
})

/** A delivery of spec/EVENTS.md; the position as a JSON number, as in the session's event history. */
export interface DeliveryRepresentation {
  readonly deliveryId: string
  readonly eventType: string
  readonly position: number | null
  readonly status: DeliveryRecord["status"]
  readonly attempts: number
  readonly lastStatusCode: number | null
  readonly lastError: string | null
  readonly nextAttemptAt: Date | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

export const toDeliveryRepresentation = (record: DeliveryRecord): DeliveryRepresentation => ({
  deliveryId: record.deliveryId,
  eventType: record.eventType,
  position: record.position === null ? null : Number(record.position),
  status: record.status,
  attempts: record.attempts,
  lastStatusCode: record.lastStatusCode,
  lastError: record.lastError,
  nextAttemptAt: record.nextAttemptAt,
  createdAt: record.createdAt,
  updatedAt: record.updatedAt
})
