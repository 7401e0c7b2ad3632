import { Clock, Effect, Option, Schema } from "effect"
import { EventStore, type OrgId, SessionId, type StoreUnavailable } from "@wa-gateway/domain"
import { type DeliveryPage, type DeliveryStatus, type WebhookPage, type WebhookRecord, WebhookStore } from "../store/webhook-store.js"
import { InvalidWebhookSessions, WebhookNotFound } from "./errors.js"
import { defaultEventTypes, SubscribableEventType } from "./event-types.js"
import { Wakeups } from "./wakeups.js"
import { makeDeliveryId, makeTestMessageId, makeWebhookId, type WebhookId } from "./webhook-ids.js"
import { makeWebhookSecret, ROTATION_OVERLAP_MS } from "./webhook-secret.js"
import type { WebhookUrl } from "./webhook-url.js"

/** `POST /webhooks`: the boundary has checked the URL (`WebhookUrl`) and the lengths. */
export interface WebhookInput {
  readonly url: WebhookUrl
  readonly events?: ReadonlyArray<SubscribableEventType> | undefined
  /** Ids of the org's sessions; `null` or absent: every session, future ones included. */
  readonly sessionIds?: ReadonlyArray<string> | null | undefined
  readonly description?: string | null | undefined
}

/** `PATCH /webhooks/{id}`: only what is given changes. */
export interface WebhookChanges {
  readonly url?: WebhookUrl | undefined
  readonly events?: ReadonlyArray<SubscribableEventType> | undefined
  readonly sessionIds?: ReadonlyArray<string> | null | undefined
  readonly description?: string | null | undefined
  readonly enabled?: boolean | undefined
}

/** Where the next page of webhooks starts: the last one of this page (newest first). */
export interface WebhookCursor {
  readonly createdAt: Date
  readonly webhookId: WebhookId
}

type Fails<A, E = never> = Effect.Effect<A, E | StoreUnavailable>

/** The webhook operations of the Gateway, each scoped to one org. */
export interface WebhookOperations {
  /** The new subscription and its secret, shown only here and on `rotateSecret`. */
  readonly create: (orgId: OrgId, input: WebhookInput) => Fails<{ readonly webhook: WebhookRecord; readonly secret: string }, InvalidWebhookSessions>
  readonly list: (orgId: OrgId, page: { readonly pageSize: number; readonly after: WebhookCursor | null }) => Fails<WebhookPage>
  readonly get: (orgId: OrgId, webhookId: WebhookId) => Fails<WebhookRecord, WebhookNotFound>
  readonly update: (orgId: OrgId, webhookId: WebhookId, changes: WebhookChanges) => Fails<WebhookRecord, WebhookNotFound | InvalidWebhookSessions>
  readonly delete: (orgId: OrgId, webhookId: WebhookId) => Fails<void, WebhookNotFound>
  /** A new secret; the replaced one still signs for 24 h. */
  readonly rotateSecret: (orgId: OrgId, webhookId: WebhookId) => Fails<{ readonly secret: string }, WebhookNotFound>
  /** Queues a `webhook.test` delivery, whatever the subscription's filter. */
  readonly test: (orgId: OrgId, webhookId: WebhookId) => Fails<void, WebhookNotFound>
  readonly deliveries: (
    orgId: OrgId,
    webhookId: WebhookId,
    page: { readonly status: DeliveryStatus | null; readonly pageSize: number; readonly afterSequence: bigint | null }
  ) => Fails<DeliveryPage, WebhookNotFound>
  /** Delivers again every matching session event at or after `fromPosition` (same `webhook-id`); not connection changes. */
  readonly replay: (orgId: OrgId, webhookId: WebhookId, fromPosition: bigint) => Fails<void, WebhookNotFound>
}

const unique = <A>(values: ReadonlyArray<A>): ReadonlyArray<A> => [...new Set(values)]

/** The requested types in the contract's order, each once. */
const eventTypesOf = (types: ReadonlyArray<SubscribableEventType>): ReadonlyArray<SubscribableEventType> =>
  SubscribableEventType.literals.filter((type) => types.includes(type))

const decodeSessionId = Schema.decodeUnknownOption(SessionId)

export const makeWebhookOperations = Effect.gen(function* () {
  const store = yield* WebhookStore
  const events = yield* EventStore
  const wakeups = yield* Wakeups
  const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))
  const notFound = (webhookId: WebhookId) => new WebhookNotFound({ webhookId })

  /** Every id must name a live session of the org: unknown, malformed and another org's are refused alike. */
  const sessionsOf = (orgId: OrgId, ids: ReadonlyArray<string> | null | undefined) =>
    Effect.gen(function* () {
      if (ids === undefined || ids === null) return ids
      const checked: Array<SessionId> = []
      for (const raw of unique(ids)) {
        const id = decodeSessionId(raw)
        const record = Option.isSome(id) ? yield* events.getSession(id.value) : Option.none()
        if (Option.isNone(id) || Option.isNone(record) || record.value.orgId !== orgId) {
          return yield* Effect.fail(new InvalidWebhookSessions({ sessionId: raw }))
        }
        checked.push(id.value)
      }
      return checked
    })

  const found = <A>(webhookId: WebhookId) => (option: Option.Option<A>) =>
    Option.match(option, { onNone: () => Effect.fail(notFound(webhookId)), onSome: Effect.succeed })

  const operations: WebhookOperations = {
    create: (orgId, input) =>
      Effect.gen(function* () {
        const sessionIds = (yield* sessionsOf(orgId, input.sessionIds)) ?? null
        const at = yield* now
        const secret = yield* makeWebhookSecret
        const webhook: WebhookRecord = {
          webhookId: yield* makeWebhookId,
          orgId,
          url: input.url,
          events: eventTypesOf(input.events ?? defaultEventTypes),
          sessionIds,
          description: input.description ?? null,
          enabled: true,
          createdAt: at,
          updatedAt: at,
          secrets: { current: secret, previous: null }
        }
        yield* store.create(webhook)
        return { webhook, secret }
      }),
    list: (orgId, page) => store.list({ orgId, pageSize: page.pageSize, after: page.after }),
    get: (orgId, webhookId) => Effect.flatMap(store.get(orgId, webhookId), found(webhookId)),
    update: (orgId, webhookId, changes) =>
      Effect.gen(function* () {
        const sessionIds = yield* sessionsOf(orgId, changes.sessionIds)
        const updated = yield* store.update(orgId, webhookId, {
          ...(changes.url === undefined ? {} : { url: changes.url }),
          ...(changes.events === undefined ? {} : { events: eventTypesOf(changes.events) }),
          ...(sessionIds === undefined ? {} : { sessionIds }),
          ...(changes.description === undefined ? {} : { description: changes.description }),
          ...(changes.enabled === undefined ? {} : { enabled: changes.enabled }),
          updatedAt: yield* now
        }).pipe(Effect.flatMap(found(webhookId)))
        // Enabled again: what waited for it is due now.
        if (changes.enabled === true) yield* wakeups.signal
        return updated
      }),
    delete: (orgId, webhookId) =>
      Effect.flatMap(store.remove(orgId, webhookId), (removed) => (removed ? Effect.void : Effect.fail(notFound(webhookId)))),
    rotateSecret: (orgId, webhookId) =>
      Effect.gen(function* () {
        const at = yield* now
        const secret = yield* makeWebhookSecret
        yield* store.rotateSecret(orgId, webhookId, { secret, previousExpiresAt: new Date(at.getTime() + ROTATION_OVERLAP_MS), at })
          .pipe(Effect.flatMap(found(webhookId)))
        return { secret }
      }),
    test: (orgId, webhookId) =>
      Effect.gen(function* () {
        const deliveryId = yield* makeDeliveryId
        const queued = yield* store.enqueueTest(orgId, {
          deliveryId,
          webhookId,
          messageId: yield* makeTestMessageId,
          eventType: "webhook.test",
          // A lane of its own: a test never waits behind a session's deliveries.
          lane: deliveryId,
          source: { _tag: "Test" },
          sessionStatus: null,
          connected: null,
          createdAt: yield* now
        })
        if (!queued) return yield* Effect.fail(notFound(webhookId))
        yield* wakeups.signal
      }),
    deliveries: (orgId, webhookId, page) =>
      Effect.flatMap(store.deliveries({ orgId, webhookId, ...page }), found(webhookId)),
    replay: (orgId, webhookId, fromPosition) =>
      Effect.gen(function* () {
        const replayId = `replay_${(yield* makeDeliveryId).slice(4)}`
        const started = yield* store.startReplay(orgId, webhookId, { replayId, fromPosition, at: yield* now })
        if (!started) return yield* Effect.fail(notFound(webhookId))
        yield* wakeups.signal
      })
  }
  return operations
})
