import { Chunk, Clock, Context, Deferred, Duration, Effect, Layer, Option, Queue, Schedule, Schema, Stream } from "effect"
import {
  EngineEvent,
  EventStore,
  type OrgId,
  SessionEngine,
  type SessionId,
  type StoredEvent,
  type StoreUnavailable
} from "@wa-gateway/domain"
import { SessionSupervisor } from "../engine/session-supervisor.js"
import { ConnectionLog, type ConnectionEvent } from "../store/connection-log.js"
import { WebhookStore } from "../store/webhook-store.js"
import { defaultEventTypes, logEventTypes, type SubscribableEventType } from "./event-types.js"
import { connectionPayload, type EventPayload, logPayload, qrPayload } from "./payload.js"
import { makeStatusTracker } from "./session-status-tracker.js"
import { Wakeups } from "./wakeups.js"

/** One event of a subscription (SSE, `gateway.subscribe`). */
export interface FeedEvent {
  /** The log position of a session event (SSE `id:`); `null` for connection changes and QR codes, which are live only. */
  readonly position: bigint | null
  readonly payload: EventPayload
  /** The payload as JSON, serialized once for every subscriber. */
  readonly json: string
}

/** What `gateway.subscribe` takes; every field optional. */
export interface FeedFilter {
  /** Resume after this log position (from the log, then live); absent: from what happens next. */
  readonly after?: bigint | undefined
  /** Absent: every durable type. `session.qr` (a pairing secret) only when named here. */
  readonly types?: ReadonlyArray<SubscribableEventType> | undefined
  /** Absent: every session of the org. */
  readonly sessionIds?: ReadonlyArray<SessionId> | undefined
}

/** A subscriber did not keep up: its buffer passed the bound and it was cut off; resume from the last position seen. */
export class SubscriberTooSlow extends Schema.TaggedError<SubscriberTooSlow>()("SubscriberTooSlow", {
  buffered: Schema.Number
}) {}

export interface EventFeedOptions {
  /** Events buffered for one subscriber before it is cut off. */
  readonly bufferSize?: number | undefined
  /** The slow poll of the log tails (wake-ups make it rarely matter). */
  readonly pollInterval?: Duration.DurationInput | undefined
}

/** Live events, each with what the subscribers' filters look at. */
interface LiveItem {
  readonly orgId: OrgId
  readonly sessionId: SessionId
  readonly type: SubscribableEventType
  readonly event: FeedEvent
}

interface Subscriber {
  readonly orgId: OrgId
  readonly accepts: (item: Pick<LiveItem, "orgId" | "sessionId" | "type">) => boolean
  readonly queue: Queue.Queue<LiveItem>
  readonly tooSlow: Deferred.Deferred<void>
}

const CATCH_UP_BATCH = 500

const feedEvent = (position: bigint | null, payload: EventPayload): FeedEvent => ({ position, payload, json: JSON.stringify(payload) })

const acceptsOf = (orgId: OrgId, filter: FeedFilter) => {
  const types: ReadonlySet<SubscribableEventType> = new Set(filter.types ?? defaultEventTypes)
  const sessions = filter.sessionIds === undefined ? null : new Set(filter.sessionIds)
  return (item: Pick<LiveItem, "orgId" | "sessionId" | "type">): boolean =>
    item.orgId === orgId && types.has(item.type) && (sessions === null || sessions.has(item.sessionId))
}

/**
 * Subscriptions to the event stream of one org: session events from the log
 * (resumable by position, none skipped or repeated), connection changes and
 * QR codes live. One tail per log per process feeds every subscriber; a
 * subscriber's own buffer is bounded, and a slow one is cut off rather than
 * slowing the others.
 */
export class EventFeed extends Context.Tag("wa-gateway/EventFeed")<EventFeed, {
  readonly subscribe: (orgId: OrgId, filter: FeedFilter) => Stream.Stream<FeedEvent, StoreUnavailable | SubscriberTooSlow>
  /** Subscribers now (a closed client is one fewer). */
  readonly subscribers: Effect.Effect<number>
}>() {
  static readonly layer = (options: EventFeedOptions = {}) => Layer.scoped(this, make(options))
}

const make = (options: EventFeedOptions) =>
  Effect.gen(function* () {
    const events = yield* EventStore
    const connections = yield* ConnectionLog
    const webhooks = yield* WebhookStore
    const engine = yield* SessionEngine
    const supervisor = yield* SessionSupervisor
    const wakeups = yield* Wakeups
    const bufferSize = options.bufferSize ?? 10_000
    const pollInterval = options.pollInterval ?? Duration.seconds(2)
    const subscribers = new Set<Subscriber>()

    const publish = (item: LiveItem) => {
      for (const subscriber of subscribers) {
        if (!subscriber.accepts(item)) continue
        const buffered = Option.getOrElse(subscriber.queue.unsafeSize(), () => 0)
        if (buffered >= bufferSize) {
          subscribers.delete(subscriber)
          Deferred.unsafeDone(subscriber.tooSlow, Effect.void)
        } else {
          Queue.unsafeOffer(subscriber.queue, item)
        }
      }
    }
    const wantedBy = (orgId: OrgId, sessionId: SessionId, type: SubscribableEventType) =>
      [...subscribers].some((s) => s.accepts({ orgId, sessionId, type }))

    const tracker = makeStatusTracker(events)
    const payloadOf = (stored: StoredEvent, statusAfter: typeof tracker.statusAfter) =>
      Effect.gen(function* () {
        const status = yield* statusAfter(stored)
        const connected = status === "paired" && (yield* engine.isConnected(stored.streamId))
        return logPayload(stored, status, connected)
      })

    /**
     * Follows a log from its readable head, publishing what anyone subscribes
     * to. Its waiter is taken here, in the layer's scope, not in the forked loop.
     */
    const tail = <A>(
      head: Effect.Effect<bigint, StoreUnavailable>,
      read: (after: bigint) => Effect.Effect<ReadonlyArray<A>, StoreUnavailable>,
      positionOf: (a: A) => bigint,
      handle: (a: A) => Effect.Effect<void, StoreUnavailable>
    ) =>
      Effect.map(wakeups.waiter, (waiter) => Effect.gen(function* () {
        let cursor = yield* Effect.retry(head, { schedule: Schedule.spaced(pollInterval) })
        yield* Effect.forever(Effect.gen(function* () {
          const batch = yield* read(cursor)
          for (const a of batch) yield* handle(a)
          const last = batch.at(-1)
          if (last !== undefined) cursor = positionOf(last)
          if (batch.length < CATCH_UP_BATCH) yield* waiter.await(pollInterval)
        }).pipe(Effect.catchAll(() => Effect.sleep(pollInterval))))
      }))

    yield* Effect.forkScoped(yield* tail(webhooks.logHead, (after) => events.readAll(after, CATCH_UP_BATCH), (e) => e.position, (stored) =>
      Effect.gen(function* () {
        const type = logEventTypes[stored.event._tag]
        if (!wantedBy(stored.orgId, stored.streamId, type)) return
        const payload = yield* payloadOf(stored, tracker.statusAfter)
        publish({ orgId: stored.orgId, sessionId: stored.streamId, type, event: feedEvent(stored.position, payload) })
      })))

    yield* Effect.forkScoped(yield* tail(connections.head, (after) => connections.readAfter(after, CATCH_UP_BATCH), (e) => e.position, (change: ConnectionEvent) =>
      Effect.sync(() => {
        const payload = connectionPayload(change)
        publish({ orgId: change.orgId, sessionId: change.sessionId, type: payload.type === "session.connected" ? "session.connected" : "session.disconnected", event: feedEvent(null, payload) })
      })))

    // QR codes never reach a store: straight from the supervisor, to whoever may see them.
    const handled = yield* supervisor.handled
    yield* Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.take(handled), (engineEvent) =>
      EngineEvent.$is("QrUpdated")(engineEvent)
        ? Effect.gen(function* () {
          const record = yield* events.getSession(engineEvent.sessionId)
          if (Option.isNone(record) || !wantedBy(record.value.orgId, engineEvent.sessionId, "session.qr")) return
          const at = new Date(yield* Clock.currentTimeMillis)
          const payload = qrPayload({ sessionId: engineEvent.sessionId, orgId: record.value.orgId, qr: engineEvent.qr, expiresAt: engineEvent.expiresAt, at })
          publish({ orgId: record.value.orgId, sessionId: engineEvent.sessionId, type: "session.qr", event: feedEvent(null, payload) })
        }).pipe(Effect.ignore)
        : Effect.void)))

    const subscribe = (orgId: OrgId, filter: FeedFilter): Stream.Stream<FeedEvent, StoreUnavailable | SubscriberTooSlow> =>
      Stream.unwrapScoped(Effect.gen(function* () {
        const accepts = acceptsOf(orgId, filter)
        // Registered before reading the log, so nothing published from here on is missed.
        const subscriber: Subscriber = yield* Effect.acquireRelease(
          Effect.gen(function* () {
            const s: Subscriber = { orgId, accepts, queue: yield* Queue.unbounded<LiveItem>(), tooSlow: yield* Deferred.make<void>() }
            subscribers.add(s)
            return s
          }),
          (s) => Effect.zipRight(Effect.sync(() => subscribers.delete(s)), Queue.shutdown(s.queue))
        )
        // The log up to where it is readable now; the live events after that come from the tail.
        const { after: resumeAfter } = filter
        let caughtUpTo: bigint | null = resumeAfter ?? null
        const own = makeStatusTracker(events)
        const catchUp = resumeAfter === undefined ? Stream.empty : Stream.paginateChunkEffect(resumeAfter, (after) =>
          Effect.gen(function* () {
            const batch = yield* events.readAll(after, CATCH_UP_BATCH)
            const out: Array<FeedEvent> = []
            for (const stored of batch) {
              if (!accepts({ orgId: stored.orgId, sessionId: stored.streamId, type: logEventTypes[stored.event._tag] })) continue
              out.push(feedEvent(stored.position, yield* payloadOf(stored, own.statusAfter)))
            }
            const last = batch.at(-1)?.position
            if (last !== undefined) caughtUpTo = last
            return [Chunk.fromIterable(out), batch.length === CATCH_UP_BATCH && last !== undefined ? Option.some(last) : Option.none()] as const
          }))
        const live = Stream.fromQueue(subscriber.queue).pipe(
          // What the catch-up already sent is not sent again.
          Stream.filter((item) => item.event.position === null || caughtUpTo === null || item.event.position > caughtUpTo),
          Stream.map((item) => item.event)
        )
        const cutOff = Effect.zipRight(
          Deferred.await(subscriber.tooSlow),
          Effect.fail(new SubscriberTooSlow({ buffered: bufferSize }))
        )
        return Stream.concat(catchUp, live).pipe(Stream.interruptWhen(cutOff))
      }))

    return { subscribe, subscribers: Effect.sync(() => subscribers.size) }
  })
