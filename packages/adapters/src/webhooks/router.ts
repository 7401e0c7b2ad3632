import { type Context, Effect } from "effect"
import type { EventStore, OrgId, SessionEngine, SessionId, StoredEvent, StoreUnavailable } from "@wa-gateway/domain"
import type { ConnectionEvent, ConnectionLog } from "../store/connection-log.js"
import type { CheckpointAdvance, NewDelivery, ReplayJob, RoutingTarget, WebhookStore } from "../store/webhook-store.js"
import { logEventTypes, type SubscribableEventType } from "./event-types.js"
import type { PayloadStatus } from "./payload.js"
import { makeStatusTracker } from "./session-status-tracker.js"
import { connectionMessageId, logMessageId, makeDeliveryId } from "./webhook-ids.js"

/** Events read per log per step. */
export const ROUTING_BATCH = 500

/** What one step did: deliveries it queued, and whether another step may find more at once (a full batch). */
export interface RoutingStep {
  readonly more: boolean
  readonly queued: number
}

const idle: RoutingStep = { more: false, queued: 0 }

const combine = (steps: ReadonlyArray<RoutingStep>): RoutingStep =>
  steps.reduce((a, b) => ({ more: a.more || b.more, queued: a.queued + b.queued }), idle)

/** The subscription's org, types and sessions; `sessionIds: null` is every session of the org. */
export const matches = (target: Pick<RoutingTarget, "orgId" | "events" | "sessionIds">, orgId: OrgId, sessionId: SessionId, type: SubscribableEventType): boolean =>
  target.orgId === orgId && target.events.includes(type) && (target.sessionIds === null || target.sessionIds.includes(sessionId))

interface Services {
  readonly webhooks: Context.Tag.Service<WebhookStore>
  readonly events: Context.Tag.Service<EventStore>
  readonly connections: Context.Tag.Service<ConnectionLog>
  readonly engine: Context.Tag.Service<SessionEngine>
}

/**
 * Log → deliveries (DESIGN §11): reads both logs from the lowest checkpoint,
 * queues what each subscription's filter matches and moves its checkpoints,
 * in one write that a racing router cannot repeat. Replays go the same way.
 */
export const makeRouter = ({ connections, engine, events, webhooks }: Services) => {
  const tracker = makeStatusTracker(events)
  const now = Effect.map(Effect.clockWith((c) => c.currentTimeMillis), (millis) => new Date(millis))

  /** The state a log event's payload carries, fixed now: status after it; connected as the API would show it now. */
  const stateAfter = (stored: StoredEvent) =>
    Effect.gen(function* () {
      const status: PayloadStatus = yield* tracker.statusAfter(stored)
      const connected = status === "paired" && (yield* engine.isConnected(stored.streamId))
      return { status, connected }
    })

  const logDelivery = (target: RoutingTarget, stored: StoredEvent, at: Date, state: { status: PayloadStatus; connected: boolean }) =>
    Effect.map(makeDeliveryId, (deliveryId): NewDelivery => ({
      deliveryId,
      webhookId: target.webhookId,
      messageId: logMessageId(target.webhookId, stored.position),
      eventType: logEventTypes[stored.event._tag],
      lane: stored.streamId,
      source: { _tag: "Log", position: stored.position },
      sessionStatus: state.status,
      connected: state.connected,
      createdAt: at
    }))

  const connectionDelivery = (target: RoutingTarget, event: ConnectionEvent, at: Date) =>
    Effect.map(makeDeliveryId, (deliveryId): NewDelivery => ({
      deliveryId,
      webhookId: target.webhookId,
      messageId: connectionMessageId(target.webhookId, event.position),
      eventType: event.change._tag === "Connected" ? "session.connected" : "session.disconnected",
      lane: event.sessionId,
      source: { _tag: "Connection", position: event.position },
      sessionStatus: null,
      connected: null,
      createdAt: at
    }))

  /** The state of each log event that some target wants, computed once per event. */
  const statesOf = (batch: ReadonlyArray<StoredEvent>, wanted: (stored: StoredEvent) => boolean) =>
    Effect.gen(function* () {
      const states = new Map<bigint, { status: PayloadStatus; connected: boolean }>()
      for (const stored of batch) {
        if (wanted(stored)) states.set(stored.position, yield* stateAfter(stored))
      }
      return states
    })

  const routeLogs: Effect.Effect<RoutingStep, StoreUnavailable> = Effect.gen(function* () {
    const targets = yield* webhooks.routingTargets
    if (targets.length === 0) return idle
    const logFrom = targets.reduce((min, t) => (t.logCheckpoint < min ? t.logCheckpoint : min), targets[0]?.logCheckpoint ?? 0n)
    const connectionFrom = targets.reduce((min, t) => (t.connectionCheckpoint < min ? t.connectionCheckpoint : min), targets[0]?.connectionCheckpoint ?? 0n)
    const [logBatch, connectionBatch] = yield* Effect.all([
      events.readAll(logFrom, ROUTING_BATCH),
      connections.readAfter(connectionFrom, ROUTING_BATCH)
    ], { concurrency: 2 })
    const logTo = logBatch.at(-1)?.position
    const connectionTo = connectionBatch.at(-1)?.position
    if (logTo === undefined && connectionTo === undefined) return idle

    const enabled = targets.filter((t) => t.enabled)
    const wanted = (stored: StoredEvent) =>
      enabled.some((t) => stored.position > t.logCheckpoint && matches(t, stored.orgId, stored.streamId, logEventTypes[stored.event._tag]))
    const states = yield* statesOf(logBatch, wanted)
    const at = yield* now

    const advances: Array<CheckpointAdvance> = []
    const deliveries: Array<NewDelivery> = []
    for (const target of targets) {
      const log = logTo !== undefined && target.logCheckpoint < logTo ? { from: target.logCheckpoint, to: logTo } : null
      const connection = connectionTo !== undefined && target.connectionCheckpoint < connectionTo
        ? { from: target.connectionCheckpoint, to: connectionTo }
        : null
      if (log === null && connection === null) continue
      advances.push({ webhookId: target.webhookId, log, connection })
      // A disabled subscription moves on without deliveries: enabling it again does not replay what it missed.
      if (!target.enabled) continue
      const mine: Array<{ readonly at: number; readonly delivery: NewDelivery }> = []
      for (const stored of logBatch) {
        const state = states.get(stored.position)
        if (stored.position <= target.logCheckpoint || state === undefined) continue
        if (!matches(target, stored.orgId, stored.streamId, logEventTypes[stored.event._tag])) continue
        mine.push({ at: stored.occurredAt.getTime(), delivery: yield* logDelivery(target, stored, at, state) })
      }
      for (const event of connectionBatch) {
        const type = event.change._tag === "Connected" ? "session.connected" : "session.disconnected"
        if (event.position <= target.connectionCheckpoint || !matches(target, event.orgId, event.sessionId, type)) continue
        mine.push({ at: event.occurredAt.getTime(), delivery: yield* connectionDelivery(target, event, at) })
      }
      // The two logs interleave by when things happened (a stable sort keeps each log's own order).
      deliveries.push(...mine.sort((a, b) => a.at - b.at).map((m) => m.delivery))
    }
    const queued = yield* webhooks.enqueue(advances, deliveries)
    return { more: logBatch.length === ROUTING_BATCH || connectionBatch.length === ROUTING_BATCH, queued }
  })

  const replayStep = (job: ReplayJob): Effect.Effect<RoutingStep, StoreUnavailable> =>
    Effect.gen(function* () {
      const batch = (yield* events.readAll(job.afterPosition, ROUTING_BATCH)).filter((e) => e.position <= job.untilPosition)
      const last = batch.at(-1)?.position ?? job.untilPosition
      const done = batch.length < ROUTING_BATCH || last >= job.untilPosition
      const at = yield* now
      const deliveries: Array<NewDelivery> = []
      for (const stored of batch) {
        if (!matches(job.target, stored.orgId, stored.streamId, logEventTypes[stored.event._tag])) continue
        deliveries.push(yield* logDelivery(job.target, stored, at, yield* stateAfter(stored)))
      }
      const queued = yield* webhooks.advanceReplay({ replayId: job.replayId, from: job.afterPosition, to: last, done }, deliveries)
      return { more: !done, queued }
    })

  const routeReplays: Effect.Effect<RoutingStep, StoreUnavailable> = Effect.flatMap(webhooks.replayJobs, (jobs) =>
    Effect.map(Effect.forEach(jobs, replayStep), combine))

  /** One step of both. */
  const step: Effect.Effect<RoutingStep, StoreUnavailable> = Effect.map(Effect.all([routeLogs, routeReplays]), combine)

  return { step }
}
