import { Chunk, Clock, type Context, Duration, Effect, FiberSet, Option, Queue, Random, Schedule, type Scope } from "effect"
import { makeUlid, type StoreUnavailable } from "@wa-gateway/domain"
import type { ClaimedDelivery, Completion, DeliveryOutcome, WebhookStore } from "../store/webhook-store.js"
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
  /** Told of every attempt's outcome when it is known (metrics); default: nothing. */
  readonly observe?: ((delivery: ClaimedDelivery, outcome: DeliveryOutcome, at: Date) => Effect.Effect<void>) | undefined
}

/** A sender holds a delivery this long; it is due again after (the holder died). Longer than a request may take. */
export const LEASE = Duration.sum(DELIVERY_TIMEOUT, Duration.seconds(5))

/** A claimed delivery starts only while its lease outlasts a whole request by this much; else it is handed back. */
const LEASE_MARGIN_MS = 1_000

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
 * Claimed deliveries a sender may hold per subscription (and in all), as a
 * multiple of what it sends at once: the next one is ready the moment a
 * slot frees, without waiting for a claim's round trip and commit.
 */
const PREFETCH = 4

/** Outcomes recorded in one statement at most. */
const FLUSH_BATCH = 1_000

/** A claimed delivery, with the lease it was claimed under. */
interface Leased {
  readonly delivery: ClaimedDelivery
  readonly leaseToken: string
  readonly leaseUntil: number
}

const count = (map: Map<WebhookId, number>, webhookId: WebhookId, by: number) => {
  const n = (map.get(webhookId) ?? 0) + by
  if (n <= 0) map.delete(webhookId)
  else map.set(webhookId, n)
}

/**
 * Outbox → receivers: claims due deliveries in batches (at most one per lane,
 * so a session's events leave in order), signs and POSTs each with bounded
 * concurrency per subscription, and records the outcomes in batches: 2xx
 * succeeded, 410 failed and the subscription disabled, anything else retried
 * on the schedule until it runs out. Claims and outcome writes are each one
 * statement for whatever accumulated while the previous one ran (group
 * commit), so the store's cost per delivery falls as the load grows.
 */
export const makeSender = (webhooks: Context.Tag.Service<WebhookStore>, post: Post, options: SenderOptions) =>
  Effect.gen(function* () {
    const leasePrefix = `lease_${yield* makeUlid}`
    let claims = 0
    /** Claimed and not yet answered, per subscription and in all (waiting for a slot or in flight): a claim adds to these. */
    const held = new Map<WebhookId, number>()
    let heldTotal = 0
    /** POSTs in flight, per subscription and in all. */
    const sending = new Map<WebhookId, number>()
    let sendingTotal = 0
    /** Claimed, waiting for a slot of their subscription, oldest first. */
    const waiting = new Map<WebhookId, Array<Leased>>()
    /** Outcomes not yet recorded. */
    const outcomes = yield* Queue.unbounded<Completion>()
    /** The last claim found something: a freed slot may find more at once. */
    let claimable = false
    const holdLimit = options.perWebhook * PREFETCH
    const observe = options.observe ?? (() => Effect.void)

    // On the way out (after the attempts in flight are interrupted): what is recorded so far, and the unsent handed back.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        const released: Array<Completion> = [...waiting.values()].flat().map((l) => ({
          deliveryId: l.delivery.deliveryId,
          leaseToken: l.leaseToken,
          outcome: { _tag: "Released" }
        }))
        waiting.clear()
        const left = Chunk.toReadonlyArray(yield* Queue.takeAll(outcomes))
        yield* webhooks.completeAll([...left, ...released], yield* now).pipe(Effect.ignore)
      }))
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

    const attempt = ({ delivery, leaseToken }: Leased) =>
      Effect.gen(function* () {
        const at = yield* now
        const body = JSON.stringify(payloadOf(delivery))
        const headers = deliveryHeaders({ messageId: delivery.messageId, secrets: liveSecrets(delivery.secrets, at), at, body })
        const answer = yield* post(delivery.url, headers, body).pipe(
          Effect.map((statusCode) => ({ statusCode, error: null })),
          Effect.catchAll((failure) => Effect.succeed({ statusCode: null, error: failure.message }))
        )
        const outcome = yield* outcomeOf(delivery, answer)
        yield* Queue.offer(outcomes, { deliveryId: delivery.deliveryId, leaseToken, outcome })
        yield* observe(delivery, outcome, yield* now)
        // 410: the subscription is being disabled; what was claimed for it and not yet sent goes back unsent.
        if (outcome._tag === "Failed" && outcome.disableWebhook) yield* handBack(delivery.webhookId)
      })

    /** Hands back every delivery of the subscription that waits for a slot. */
    const handBack = (webhookId: WebhookId) =>
      Effect.suspend(() => {
        const queue = waiting.get(webhookId) ?? []
        waiting.delete(webhookId)
        count(held, webhookId, -queue.length)
        heldTotal -= queue.length
        return Queue.offerAll(outcomes, queue.map((l) => ({ deliveryId: l.delivery.deliveryId, leaseToken: l.leaseToken, outcome: { _tag: "Released" } })))
      })

    /** Starts what waits, as far as the slots allow; hands back what waited so long that its lease could end mid-request. */
    const startWaiting = (waiter: Waiter): Effect.Effect<void> =>
      Effect.gen(function* () {
        const at = yield* Clock.currentTimeMillis
        for (const [webhookId, queue] of waiting) {
          while (queue.length > 0 && sendingTotal < options.concurrency && (sending.get(webhookId) ?? 0) < options.perWebhook) {
            const next = queue.shift()
            if (next === undefined) break
            if (next.leaseUntil - at <= Duration.toMillis(DELIVERY_TIMEOUT) + LEASE_MARGIN_MS) {
              count(held, webhookId, -1)
              heldTotal--
              yield* Queue.offer(outcomes, { deliveryId: next.delivery.deliveryId, leaseToken: next.leaseToken, outcome: { _tag: "Released" } })
              continue
            }
            count(sending, webhookId, 1)
            sendingTotal++
            yield* FiberSet.run(running, attempt(next).pipe(
              Effect.ensuring(Effect.suspend(() => {
                count(sending, webhookId, -1)
                sendingTotal--
                count(held, webhookId, -1)
                heldTotal--
                // A slot is free: the next waiting one goes now; a claim may find more.
                return Effect.zipRight(startWaiting(waiter), claimable ? waiter.poke : Effect.void)
              }))
            ))
          }
          if (queue.length === 0) waiting.delete(webhookId)
        }
      })

    /** Claims what there is room for (each subscription's share less what is held) and starts what the slots allow; answers how many it claimed. */
    const claimAndSend = (waiter: Waiter): Effect.Effect<number, StoreUnavailable> =>
      Effect.gen(function* () {
        const room = options.concurrency * PREFETCH - heldTotal
        if (room <= 0) {
          claimable = true
          return 0
        }
        const at = yield* now
        const leaseToken = `${leasePrefix}_${claims++}`
        const leaseUntil = at.getTime() + Duration.toMillis(LEASE)
        const claimed = yield* webhooks.claim({
          now: at,
          limit: room,
          leaseUntil: new Date(leaseUntil),
          leaseToken,
          excluding: [...held].filter(([, n]) => n >= holdLimit).map(([id]) => id),
          perWebhook: { limit: holdLimit, held: [...held].map(([webhookId, n]) => ({ webhookId, count: n })) }
        })
        for (const delivery of claimed) {
          count(held, delivery.webhookId, 1)
          heldTotal++
          const queue = waiting.get(delivery.webhookId)
          const leased = { delivery, leaseToken, leaseUntil }
          if (queue === undefined) waiting.set(delivery.webhookId, [leased])
          else queue.push(leased)
        }
        claimable = claimed.length > 0
        yield* startWaiting(waiter)
        return claimed.length
      })

    /** Forever: records outcomes, each batch in one write, then wakes the claimer (the lanes they held are free). */
    const recordOutcomes = (waiter: Waiter): Effect.Effect<never> =>
      Effect.forever(Effect.gen(function* () {
        const batch = Chunk.toReadonlyArray(yield* Queue.takeBetween(outcomes, 1, FLUSH_BATCH))
        // A store that cannot take the outcomes now: the leases run out and the deliveries go again (at least once).
        yield* Effect.flatMap(now, (at) => webhooks.completeAll(batch, at)).pipe(
          Effect.retry({ times: 3, schedule: Schedule.spaced("200 millis") }),
          Effect.catchAll((e) => Effect.logWarning(`could not record ${batch.length} webhook deliveries' outcomes; they will be sent again`, e))
        )
        yield* waiter.poke
      }))

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

    /** Forever: claim and send, then sleep until a signal, a freed slot or lane, or the next due time. */
    const run = (waiter: Waiter): Effect.Effect<never, never, Scope.Scope> =>
      Effect.gen(function* () {
        yield* Effect.forkScoped(recordOutcomes(waiter))
        return yield* Effect.forever(Effect.gen(function* () {
          const claimed = yield* claimAndSend(waiter)
          if (claimed > 0) return
          // Something held: its end pokes (a freed slot, recorded outcomes), so no store round trip decides the sleep.
          yield* waiter.await(heldTotal > 0 ? options.pollInterval : yield* idle)
        }).pipe(
          Effect.catchAll((e) =>
            Effect.zipRight(Effect.logWarning("webhook sender: the store is unavailable; retrying", e), Effect.sleep(options.pollInterval)))
        ))
      })

    return { run, inFlight: Effect.sync(() => sendingTotal) }
  })
