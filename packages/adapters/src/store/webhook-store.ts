import { Context, type Effect, type Option } from "effect"
import type { OrgId, SessionId, SessionRecord, StoredEvent, StoreUnavailable } from "@wa-gateway/domain"
import type { EventType, SubscribableEventType } from "../webhooks/event-types.js"
import type { DeliveryId, WebhookId } from "../webhooks/webhook-ids.js"
import type { ConnectionEvent } from "./connection-log.js"

/** The signing secrets: the current one, and during a rotation's overlap the one it replaced. */
export interface WebhookSecrets {
  /** `whsec_` + base64 of 32 random bytes; kept as is, so the gateway can sign. */
  readonly current: string
  readonly previous: { readonly secret: string; readonly expiresAt: Date } | null
}

export interface WebhookRecord {
  readonly webhookId: WebhookId
  readonly orgId: OrgId
  readonly url: string
  readonly events: ReadonlyArray<SubscribableEventType>
  /** `null`: every session of the org, future ones included. */
  readonly sessionIds: ReadonlyArray<SessionId> | null
  readonly description: string | null
  readonly enabled: boolean
  readonly createdAt: Date
  readonly updatedAt: Date
  readonly secrets: WebhookSecrets
}

/** The fields a PATCH may change; absent ones stay. */
export interface WebhookPatch {
  readonly url?: string
  readonly events?: ReadonlyArray<SubscribableEventType>
  readonly sessionIds?: ReadonlyArray<SessionId> | null
  readonly description?: string | null
  readonly enabled?: boolean
  readonly updatedAt: Date
}

export interface WebhookPageRequest {
  readonly orgId: OrgId
  readonly pageSize: number
  /** The last row of the previous page (keyset, newest first). */
  readonly after: { readonly createdAt: Date; readonly webhookId: WebhookId } | null
}

export interface WebhookPage {
  readonly webhooks: ReadonlyArray<WebhookRecord>
  readonly hasMore: boolean
}

/** A subscription as the router sees it: its filter and how far it has been routed in each log. */
export interface RoutingTarget {
  readonly webhookId: WebhookId
  readonly orgId: OrgId
  readonly events: ReadonlyArray<SubscribableEventType>
  readonly sessionIds: ReadonlyArray<SessionId> | null
  readonly enabled: boolean
  readonly logCheckpoint: bigint
  readonly connectionCheckpoint: bigint
}

/** What a delivery delivers: a log event, a recorded connection change, or a test message. */
export type DeliverySource =
  | { readonly _tag: "Log"; readonly position: bigint }
  | { readonly _tag: "Connection"; readonly position: bigint }
  | { readonly _tag: "Test" }

export interface NewDelivery {
  readonly deliveryId: DeliveryId
  readonly webhookId: WebhookId
  /** `webhook-id`: the same on every attempt and every replay of this event to this subscription. */
  readonly messageId: string
  readonly eventType: EventType
  /** Deliveries of one lane (a session of a subscription) go out one at a time, in order. */
  readonly lane: string
  readonly source: DeliverySource
  /** The payload's `status` and `connected`, fixed when the event was routed (a log event's carry the session's state after it). */
  readonly sessionStatus: SessionRecord["status"] | "deleted" | null
  readonly connected: boolean | null
  /** Also when the first attempt is due. */
  readonly createdAt: Date
}

/** A subscription's checkpoints move from `from` to `to` only if they are still at `from`. */
export interface CheckpointAdvance {
  readonly webhookId: WebhookId
  readonly log: { readonly from: bigint; readonly to: bigint } | null
  readonly connection: { readonly from: bigint; readonly to: bigint } | null
}

export interface ReplayJob {
  readonly replayId: string
  readonly target: RoutingTarget
  /** Log events after this position (exclusive) are still to replay… */
  readonly afterPosition: bigint
  /** …up to this one (inclusive): what the subscription had been routed when the replay was asked. */
  readonly untilPosition: bigint
}

/** The source of a claimed delivery, with what its payload is made of. */
export type ClaimedSource =
  | {
    readonly _tag: "Log"
    readonly event: StoredEvent
    readonly sessionStatus: SessionRecord["status"] | "deleted"
    readonly connected: boolean
  }
  | { readonly _tag: "Connection"; readonly event: ConnectionEvent }
  | { readonly _tag: "Test" }

/** A delivery leased to one sender until `leaseToken` is released or the lease runs out. */
export interface ClaimedDelivery {
  readonly deliveryId: DeliveryId
  readonly webhookId: WebhookId
  readonly orgId: OrgId
  readonly url: string
  readonly secrets: WebhookSecrets
  readonly messageId: string
  readonly eventType: EventType
  /** Attempts so far, this one included. */
  readonly attempts: number
  readonly createdAt: Date
  readonly source: ClaimedSource
}

export interface ClaimRequest {
  readonly now: Date
  readonly limit: number
  /** The lease: another sender may take the delivery again after this (the holder died). */
  readonly leaseUntil: Date
  readonly leaseToken: string
  /** Subscriptions this sender has enough in flight for already. */
  readonly excluding: ReadonlyArray<WebhookId>
  /** At most `limit` of one subscription, less what this sender holds of it already; absent: only `limit` overall. */
  readonly perWebhook?: {
    readonly limit: number
    readonly held: ReadonlyArray<{ readonly webhookId: WebhookId; readonly count: number }>
  } | undefined
}

export type DeliveryOutcome =
  | { readonly _tag: "Succeeded"; readonly statusCode: number }
  | { readonly _tag: "Retry"; readonly statusCode: number | null; readonly error: string | null; readonly nextAttemptAt: Date }
  /** No more attempts; `disableWebhook` on `410 Gone`. */
  | { readonly _tag: "Failed"; readonly statusCode: number | null; readonly error: string | null; readonly disableWebhook: boolean }
  /** Not sent after all (its lease ran short before a slot was free, or the sender stops): due again now, the attempt not counted. */
  | { readonly _tag: "Released" }

/** One attempt's outcome, recorded only while the lease is still `leaseToken`. */
export interface Completion {
  readonly deliveryId: DeliveryId
  readonly leaseToken: string
  readonly outcome: DeliveryOutcome
}

export const DeliveryStatus = ["pending", "succeeded", "failed"] as const
export type DeliveryStatus = (typeof DeliveryStatus)[number]

export interface DeliveryRecord {
  readonly deliveryId: DeliveryId
  readonly eventType: EventType
  /** The log position of a session event; `null` for connection changes and tests. */
  readonly position: bigint | null
  readonly status: DeliveryStatus
  readonly attempts: number
  readonly lastStatusCode: number | null
  readonly lastError: string | null
  /** When the next attempt is due; `null` once finished. */
  readonly nextAttemptAt: Date | null
  readonly createdAt: Date
  readonly updatedAt: Date
  /** Keyset order of the list (newest first); not shown to callers as such. */
  readonly sequence: bigint
}

export interface DeliveryPageRequest {
  readonly orgId: OrgId
  readonly webhookId: WebhookId
  readonly status: DeliveryStatus | null
  readonly pageSize: number
  readonly afterSequence: bigint | null
}

export interface DeliveryPage {
  readonly deliveries: ReadonlyArray<DeliveryRecord>
  readonly hasMore: boolean
}

/**
 * Subscriptions, their checkpoints, and the durable outbox of deliveries
 * (DESIGN §11). Every operation on one org's webhook takes the org, so
 * another org's webhook is simply not there.
 */
export class WebhookStore extends Context.Tag("wa-gateway/WebhookStore")<WebhookStore, {
  /** Inserts a subscription whose checkpoints are both logs' heads now: it gets what happens next. */
  readonly create: (record: WebhookRecord) => Effect.Effect<void, StoreUnavailable>
  readonly get: (orgId: OrgId, webhookId: WebhookId) => Effect.Effect<Option.Option<WebhookRecord>, StoreUnavailable>
  readonly list: (request: WebhookPageRequest) => Effect.Effect<WebhookPage, StoreUnavailable>
  readonly update: (orgId: OrgId, webhookId: WebhookId, patch: WebhookPatch) => Effect.Effect<Option.Option<WebhookRecord>, StoreUnavailable>
  /** With its deliveries and replays; false when there was none. */
  readonly remove: (orgId: OrgId, webhookId: WebhookId) => Effect.Effect<boolean, StoreUnavailable>
  readonly rotateSecret: (
    orgId: OrgId,
    webhookId: WebhookId,
    rotation: { readonly secret: string; readonly previousExpiresAt: Date; readonly at: Date }
  ) => Effect.Effect<Option.Option<WebhookRecord>, StoreUnavailable>

  /** Every subscription of every org, for the router. */
  readonly routingTargets: Effect.Effect<ReadonlyArray<RoutingTarget>, StoreUnavailable>
  /**
   * Atomically: moves each checkpoint that is still where the router read
   * it, and inserts the deliveries of the subscriptions that moved (in the
   * given order). A router racing another one changes nothing twice.
   */
  readonly enqueue: (advances: ReadonlyArray<CheckpointAdvance>, deliveries: ReadonlyArray<NewDelivery>) => Effect.Effect<number, StoreUnavailable>
  /** Starts replaying the subscription's matching log events at or after `fromPosition`; false when there is no such webhook. */
  readonly startReplay: (
    orgId: OrgId,
    webhookId: WebhookId,
    replay: { readonly replayId: string; readonly fromPosition: bigint; readonly at: Date }
  ) => Effect.Effect<boolean, StoreUnavailable>
  readonly replayJobs: Effect.Effect<ReadonlyArray<ReplayJob>, StoreUnavailable>
  /** Like `enqueue` for one replay: moves it from `from` to `to` (or ends it) and inserts its deliveries. */
  readonly advanceReplay: (
    step: { readonly replayId: string; readonly from: bigint; readonly to: bigint; readonly done: boolean },
    deliveries: ReadonlyArray<NewDelivery>
  ) => Effect.Effect<number, StoreUnavailable>
  /** Queues a `webhook.test` delivery; false when there is no such webhook. */
  readonly enqueueTest: (orgId: OrgId, delivery: NewDelivery) => Effect.Effect<boolean, StoreUnavailable>

  /**
   * Leases due deliveries, oldest first, at most one per lane: none whose
   * lane has an earlier one due or in flight, and never one another sender
   * holds (`FOR UPDATE SKIP LOCKED` on SQL).
   */
  readonly claim: (request: ClaimRequest) => Effect.Effect<ReadonlyArray<ClaimedDelivery>, StoreUnavailable>
  /** Records an attempt's outcome if the lease is still this one's; false when it was not. */
  readonly complete: (
    deliveryId: DeliveryId,
    leaseToken: string,
    outcome: DeliveryOutcome,
    at: Date
  ) => Effect.Effect<boolean, StoreUnavailable>
  /** `complete` for many in one write (one commit); answers the deliveries whose outcome was recorded. */
  readonly completeAll: (completions: ReadonlyArray<Completion>, at: Date) => Effect.Effect<ReadonlyArray<DeliveryId>, StoreUnavailable>
  /** Deliveries not finished (pending, of any subscription): the outbox's depth. */
  readonly pendingCount: Effect.Effect<number, StoreUnavailable>
  /** When the earliest pending delivery of an enabled subscription is due, if any. */
  readonly nextDueAt: Effect.Effect<Option.Option<Date>, StoreUnavailable>
  readonly deliveries: (request: DeliveryPageRequest) => Effect.Effect<Option.Option<DeliveryPage>, StoreUnavailable>
  /** The session log position up to which every event is readable: where "from now on" starts. */
  readonly logHead: Effect.Effect<bigint, StoreUnavailable>
}>() {}
