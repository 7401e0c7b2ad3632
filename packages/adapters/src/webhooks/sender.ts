import { Clock, type Context, Duration, Effect, FiberSet, Option, Random, Schedule, type Scope } from "effect"
import { makeUlid, type StoreUnavailable } from "@wa-gateway/domain"
import type { ClaimedDelivery, DeliveryOutcome, WebhookStore } from "../store/webhook-store.js"
import { connectionPayload, type EventPayload, logPayload, testPayload } from "./payload.js"
import { nextRetryDelay } from "./retry-schedule.js"
import { USER_AGENT } from "./user-agent.js"
import type { Waiter } from "./wakeups.js"
import type { WebhookId } from "./webhook-ids.js"
import { DELIVERY_TIMEOUT, type WebhookRequestFailed } from "./webhook-post.js"
import { liveSecrets, signatureHeader } from "./webhook-secret.js"

export interface SenderOptions {
  readonly retrySchedule: ReadonlyArray<Duration.Duration>
  /** Attempts in flight at once in this process, across every subscription. */
  readonly concurrency: number
  /** …and for one subscription, so one slow endpoint cannot take every slot. */
  readonly perWebhook: number
  /** The slow poll: the longest a sender sleeps without a signal. */
  readonly pollInterval: Duration.Duration
}

/** A sender holds a delivery this long; it is due again after (the holder died). Longer than a request may take. */
export const LEASE = Duration.sum(DELIVERY_TIMEOUT, Duration.seconds(5))

type Post = (url: string, headers: Readonly<Record<string, string>>, body: string) => Effect.Effect<number, WebhookRequestFailed>

const payloadOf = (delivery: ClaimedDelivery): EventPayload => {
  const { source } = delivery
  switch (source._tag) {
    case "Log":
      return logPayload(source.event, source.sessionStatus, source.connected)
    case "Connection":
      return connectionPayload(source.event)
    case "Test":
      return testPayload({ webhookId: delivery.webhookId, orgId: delivery.orgId, at: delivery.createdAt })
  }
}

/** The Standard Webhooks headers of one attempt. */
export const deliveryHeaders = (input: {
  readonly messageId: string
  readonly secrets: ReadonlyArray<string>
  readonly at: Date
  readonly body: string
}): Record<string, string> => ({
  "webhook-id": input.messageId,
  "webhook-timestamp": String(Math.floor(input.at.getTime() / 1000)),
  "webhook-signature": signatureHeader(input.secrets, input.messageId, input.at, input.body),
  "content-type": "application/json",
  "user-agent": USER_AGENT
})

const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))

const BLOCKED_LANE_RECHECK_MS = 100

/**
 * Outbox → receivers: claims due deliveries (at most one per lane, so a
 * session's events leave in order), signs and POSTs each, and records the
 * outcome: 2xx succeeded, 410 failed and the subscription disabled, anything
 * else retried on the schedule until it runs out.
 */
export const makeSender = (webhooks: Context.Tag.Service<WebhookStore>, post: Post, options: SenderOptions) =>
  Effect.gen(function* () {
    const leasePrefix = `lease_${yield* makeUlid}`
    let claims = 0
    const inFlight = new Map<WebhookId, number>()
    let total = 0
    const running = yield* FiberSet.make<void, never>()

    const outcomeOf = (delivery: ClaimedDelivery, answer: { readonly statusCode: number | null; readonly error: string | null }) =>
      Effect.gen(function* () {
        const { statusCode } = answer
        if (statusCode !== null && statusCode >= 200 && statusCode < 300) return { _tag: "Succeeded", statusCode } satisfies DeliveryOutcome
        const error = answer.error ?? `HTTP ${statusCode}`
        if (statusCode === 410) return { _tag: "Failed", statusCode, error, disableWebhook: true } satisfies DeliveryOutcome
        const delay = nextRetryDelay(options.retrySchedule, delivery.attempts, yield* Random.next)
        if (delay === null) return { _tag: "Failed", statusCode, error, disableWebhook: false } satisfies DeliveryOutcome
        const at = yield* Clock.currentTimeMillis
        return { _tag: "Retry", statusCode, error, nextAttemptAt: new Date(at + Duration.toMillis(delay)) } satisfies DeliveryOutcome
      })

    const attempt = (delivery: ClaimedDelivery, leaseToken: string) =>
      Effect.gen(function* () {
        const at = yield* now
        const body = JSON.stringify(payloadOf(delivery))
        const headers = deliveryHeaders({ messageId: delivery.messageId, secrets: liveSecrets(delivery.secrets, at), at, body })
        const answer = yield* post(delivery.url, headers, body).pipe(
          Effect.map((statusCode) => ({ statusCode, error: null })),
          Effect.catchAll((failure) => Effect.succeed({ statusCode: null, error: failure.message }))
        )
        const outcome = yield* outcomeOf(delivery, answer)
        // A store that cannot take the outcome now: the lease runs out and the delivery goes again (at least once).
        yield* webhooks.complete(delivery.deliveryId, leaseToken, outcome, yield* now).pipe(
          Effect.retry({ times: 3, schedule: Schedule.spaced("200 millis") }),
          Effect.catchAll((e) => Effect.logWarning("could not record a webhook delivery's outcome; it will be sent again", e))
        )
      }).pipe(Effect.annotateLogs({ webhookId: delivery.webhookId, deliveryId: delivery.deliveryId }))

    const saturated = () => [...inFlight].filter(([, n]) => n >= options.perWebhook).map(([id]) => id)

    /** Claims what there is room for and starts each attempt; answers the room there was and how many it started. */
    const claimAndSend = (waiter: Waiter): Effect.Effect<{ readonly room: number; readonly started: number }, StoreUnavailable, Scope.Scope> =>
      Effect.gen(function* () {
        const room = options.concurrency - total
        if (room <= 0) return { room, started: 0 }
        const at = yield* now
        const leaseToken = `${leasePrefix}_${claims++}`
        const claimed = yield* webhooks.claim({
          now: at,
          // At most a subscription's share per claim, so one busy endpoint cannot take every slot at once.
          limit: Math.min(room, options.perWebhook),
          leaseUntil: new Date(at.getTime() + Duration.toMillis(LEASE)),
          leaseToken,
          excluding: saturated()
        })
        for (const delivery of claimed) {
          total++
          inFlight.set(delivery.webhookId, (inFlight.get(delivery.webhookId) ?? 0) + 1)
          yield* FiberSet.run(running, attempt(delivery, leaseToken).pipe(
            Effect.ensuring(Effect.zipRight(
              Effect.sync(() => {
                total--
                const left = (inFlight.get(delivery.webhookId) ?? 1) - 1
                if (left === 0) inFlight.delete(delivery.webhookId)
                else inFlight.set(delivery.webhookId, left)
              }),
              // The lane (and a slot) is free: look again at once.
              waiter.poke
            ))
          ))
        }
        return { room, started: claimed.length }
      })

    /**
     * How long to sleep when nothing more was claimable: until the earliest
     * due delivery, at most the slow poll. One already due is waiting for
     * its lane (held here, or by another process): look again shortly.
     */
    const idle = Effect.gen(function* () {
      const due = yield* webhooks.nextDueAt
      const at = yield* Clock.currentTimeMillis
      return Option.match(due, {
        onNone: () => options.pollInterval,
        onSome: (d) => Duration.min(options.pollInterval, Duration.millis(Math.max(BLOCKED_LANE_RECHECK_MS, d.getTime() - at)))
      })
    })

    /** Forever: claim and send, then sleep until a signal, a finished attempt or the next due time. */
    const run = (waiter: Waiter): Effect.Effect<never, never, Scope.Scope> =>
      Effect.forever(Effect.gen(function* () {
        const { started } = yield* claimAndSend(waiter)
        // Attempts in flight: each one that finishes pokes, so no store round trip is needed to decide how long to sleep.
        yield* waiter.await(started > 0 || total > 0 ? options.pollInterval : yield* idle)
      }).pipe(
        Effect.catchAll((e) =>
          Effect.zipRight(Effect.logWarning("webhook sender: the store is unavailable; retrying", e), Effect.sleep(options.pollInterval)))
      ))

    return { run, inFlight: Effect.sync(() => total) }
  })
