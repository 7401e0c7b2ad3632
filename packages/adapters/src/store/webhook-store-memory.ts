import type { StoredEvent } from "@wa-gateway/domain"
import { Effect, Layer, Option } from "effect"
import { MemoryDatabase, type MemoryTables } from "./memory-database.js"
import {
  type ClaimedDelivery,
  type ClaimedSource,
  type DeliveryOutcome,
  type DeliveryRecord,
  type RoutingTarget,
  type WebhookRecord,
  WebhookStore
} from "./webhook-store.js"
import { type MemoryDelivery, type MemoryWebhook, MemoryWebhookDatabase, type MemoryWebhookTables } from "./webhook-tables-memory.js"

/** The stored event at `position` (the log is in position order). */
const eventAt = (tables: MemoryTables, position: bigint): StoredEvent | undefined => {
  let low = 0
  let high = tables.events.length - 1
  while (low <= high) {
    const mid = (low + high) >> 1
    const event = tables.events[mid]
    if (event === undefined) return undefined
    if (event.position === position) return event
    if (event.position < position) low = mid + 1
    else high = mid - 1
  }
  return undefined
}

const toTarget = (webhook: MemoryWebhook): RoutingTarget => ({
  webhookId: webhook.record.webhookId,
  orgId: webhook.record.orgId,
  events: webhook.record.events,
  sessionIds: webhook.record.sessionIds,
  enabled: webhook.record.enabled,
  logCheckpoint: webhook.logCheckpoint,
  connectionCheckpoint: webhook.connectionCheckpoint
})

const toDeliveryRecord = (d: MemoryDelivery): DeliveryRecord => ({
  deliveryId: d.queued.deliveryId,
  eventType: d.queued.eventType,
  position: d.queued.source._tag === "Log" ? d.queued.source.position : null,
  status: d.status,
  attempts: d.attempts,
  lastStatusCode: d.lastStatusCode,
  lastError: d.lastError,
  nextAttemptAt: d.status === "pending" ? d.nextAttemptAt : null,
  createdAt: d.queued.createdAt,
  updatedAt: d.updatedAt,
  sequence: d.sequence
})

const newestFirst = (a: WebhookRecord, b: WebhookRecord): number =>
  b.createdAt.getTime() - a.createdAt.getTime() || (b.webhookId < a.webhookId ? -1 : b.webhookId > a.webhookId ? 1 : 0)

const make = (log: MemoryTables, tables: MemoryWebhookTables): typeof WebhookStore.Service => {
  const ofOrg = (orgId: string, webhookId: string): MemoryWebhook | undefined => {
    const webhook = tables.webhooks.get(webhookId)
    return webhook !== undefined && webhook.record.orgId === orgId ? webhook : undefined
  }

  const insert = (queued: ReadonlyArray<MemoryDelivery["queued"]>) => {
    for (const delivery of queued) {
      tables.deliveries.push({
        sequence: tables.nextSequence++,
        queued: delivery,
        status: "pending",
        attempts: 0,
        lastStatusCode: null,
        lastError: null,
        nextAttemptAt: delivery.createdAt,
        leaseToken: null,
        updatedAt: delivery.createdAt
      })
    }
    return queued.length
  }

  const sourceOf = (delivery: MemoryDelivery): ClaimedSource | undefined => {
    const { source, sessionStatus, connected } = delivery.queued
    switch (source._tag) {
      case "Test":
        return { _tag: "Test" }
      case "Connection": {
        const event = tables.connectionEvents.find((e) => e.position === source.position)
        return event === undefined ? undefined : { _tag: "Connection", event }
      }
      case "Log": {
        const event = eventAt(log, source.position)
        return event === undefined || sessionStatus === null
          ? undefined
          : { _tag: "Log", event, sessionStatus, connected: connected ?? false }
      }
    }
  }

  const completeOne = (deliveryId: string, leaseToken: string, outcome: DeliveryOutcome, at: Date): boolean => {
    const d = tables.deliveries.find((x) => x.queued.deliveryId === deliveryId)
    if (d === undefined || d.status !== "pending" || d.leaseToken !== leaseToken) return false
    d.leaseToken = null
    d.updatedAt = at
    switch (outcome._tag) {
      case "Released":
        d.attempts -= 1
        d.nextAttemptAt = at
        break
      case "Succeeded":
        d.status = "succeeded"
        d.lastStatusCode = outcome.statusCode
        d.lastError = null
        break
      case "Retry":
        d.lastStatusCode = outcome.statusCode
        d.lastError = outcome.error
        d.nextAttemptAt = outcome.nextAttemptAt
        break
      case "Failed": {
        d.status = "failed"
        d.lastStatusCode = outcome.statusCode
        d.lastError = outcome.error
        const webhook = tables.webhooks.get(d.queued.webhookId)
        if (outcome.disableWebhook && webhook !== undefined) webhook.record = { ...webhook.record, enabled: false, updatedAt: at }
      }
    }
    return true
  }

  return {
    create: (record) =>
      Effect.sync(() => {
        tables.webhooks.set(record.webhookId, {
          record,
          logCheckpoint: log.nextPosition - 1n,
          connectionCheckpoint: tables.nextConnectionPosition - 1n
        })
      }),
    get: (orgId, webhookId) => Effect.sync(() => Option.fromNullable(ofOrg(orgId, webhookId)?.record)),
    list: (request) =>
      Effect.sync(() => {
        const { after } = request
        const rows = [...tables.webhooks.values()]
          .map((w) => w.record)
          .filter((r) => r.orgId === request.orgId && (after === null || newestFirst(r, { ...r, ...after }) > 0))
          .sort(newestFirst)
        return { webhooks: rows.slice(0, request.pageSize), hasMore: rows.length > request.pageSize }
      }),
    update: (orgId, webhookId, patch) =>
      Effect.sync(() => {
        const webhook = ofOrg(orgId, webhookId)
        if (webhook === undefined) return Option.none()
        webhook.record = { ...webhook.record, ...patch }
        return Option.some(webhook.record)
      }),
    remove: (orgId, webhookId) =>
      Effect.sync(() => {
        if (ofOrg(orgId, webhookId) === undefined) return false
        tables.webhooks.delete(webhookId)
        const kept = tables.deliveries.filter((d) => d.queued.webhookId !== webhookId)
        tables.deliveries.splice(0, tables.deliveries.length, ...kept)
        for (const [id, replay] of tables.replays) if (replay.webhookId === webhookId) tables.replays.delete(id)
        return true
      }),
    rotateSecret: (orgId, webhookId, rotation) =>
      Effect.sync(() => {
        const webhook = ofOrg(orgId, webhookId)
        if (webhook === undefined) return Option.none()
        webhook.record = {
          ...webhook.record,
          updatedAt: rotation.at,
          secrets: { current: rotation.secret, previous: { secret: webhook.record.secrets.current, expiresAt: rotation.previousExpiresAt } }
        }
        return Option.some(webhook.record)
      }),

    routingTargets: Effect.sync(() => [...tables.webhooks.values()].map(toTarget)),
    enqueue: (advances, deliveries) =>
      Effect.sync(() => {
        const moved = new Set<string>()
        for (const advance of advances) {
          const webhook = tables.webhooks.get(advance.webhookId)
          if (webhook === undefined) continue
          const logAt = advance.log === null || webhook.logCheckpoint === advance.log.from
          const connectionAt = advance.connection === null || webhook.connectionCheckpoint === advance.connection.from
          if (!logAt || !connectionAt) continue
          if (advance.log !== null) webhook.logCheckpoint = advance.log.to
          if (advance.connection !== null) webhook.connectionCheckpoint = advance.connection.to
          moved.add(advance.webhookId)
        }
        return insert(deliveries.filter((d) => moved.has(d.webhookId)))
      }),
    startReplay: (orgId, webhookId, replay) =>
      Effect.sync(() => {
        const webhook = ofOrg(orgId, webhookId)
        if (webhook === undefined) return false
        tables.replays.set(replay.replayId, {
          replayId: replay.replayId,
          webhookId,
          afterPosition: replay.fromPosition - 1n,
          untilPosition: webhook.logCheckpoint
        })
        return true
      }),
    replayJobs: Effect.sync(() =>
      [...tables.replays.values()].flatMap((replay) => {
        const webhook = tables.webhooks.get(replay.webhookId)
        return webhook === undefined
          ? []
          : [{ replayId: replay.replayId, target: toTarget(webhook), afterPosition: replay.afterPosition, untilPosition: replay.untilPosition }]
      })),
    advanceReplay: (step, deliveries) =>
      Effect.sync(() => {
        const replay = tables.replays.get(step.replayId)
        if (replay === undefined || replay.afterPosition !== step.from) return 0
        if (step.done) tables.replays.delete(step.replayId)
        else replay.afterPosition = step.to
        return insert(deliveries)
      }),
    enqueueTest: (orgId, delivery) =>
      Effect.sync(() => ofOrg(orgId, delivery.webhookId) === undefined ? false : insert([delivery]) === 1),

    claim: (request) =>
      Effect.sync(() => {
        const now = request.now.getTime()
        const excluded = new Set<string>(request.excluding)
        const isDue = (d: MemoryDelivery) => d.status === "pending" && d.nextAttemptAt.getTime() <= now
        const inFlight = (d: MemoryDelivery) => d.status === "pending" && d.leaseToken !== null && d.nextAttemptAt.getTime() > now
        // One pass in sequence order: a lane is blocked once an earlier delivery of it is due or in flight.
        const blocked = new Set<string>()
        const candidates: Array<MemoryDelivery> = []
        for (const d of tables.deliveries) {
          const lane = `${d.queued.webhookId}/${d.queued.lane}`
          const webhook = tables.webhooks.get(d.queued.webhookId)
          if (isDue(d) && !blocked.has(lane) && webhook !== undefined && !excluded.has(d.queued.webhookId) &&
            (webhook.record.enabled || d.queued.eventType === "webhook.test")) {
            candidates.push(d)
          }
          if (isDue(d) || inFlight(d)) blocked.add(lane)
        }
        candidates.sort((a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() || (a.sequence < b.sequence ? -1 : 1))
        const claimed: Array<ClaimedDelivery> = []
        // What each subscription may still take: its share less what this sender holds of it.
        const { perWebhook } = request
        const allowance = new Map<string, number>(perWebhook?.held.map((h) => [h.webhookId, perWebhook.limit - h.count]) ?? [])
        for (const d of candidates.slice(0, Math.max(0, request.limit))) {
          const webhook = tables.webhooks.get(d.queued.webhookId)
          const source = sourceOf(d)
          if (webhook === undefined || source === undefined) continue
          if (perWebhook !== undefined) {
            const left = allowance.get(d.queued.webhookId) ?? perWebhook.limit
            if (left <= 0) continue
            allowance.set(d.queued.webhookId, left - 1)
          }
          d.attempts += 1
          d.leaseToken = request.leaseToken
          d.nextAttemptAt = request.leaseUntil
          d.updatedAt = request.now
          claimed.push({
            deliveryId: d.queued.deliveryId,
            webhookId: d.queued.webhookId,
            orgId: webhook.record.orgId,
            url: webhook.record.url,
            secrets: webhook.record.secrets,
            messageId: d.queued.messageId,
            eventType: d.queued.eventType,
            attempts: d.attempts,
            createdAt: d.queued.createdAt,
            source
          })
        }
        return claimed
      }),
    complete: (deliveryId, leaseToken, outcome, at) => Effect.sync(() => completeOne(deliveryId, leaseToken, outcome, at)),
    completeAll: (completions, at) =>
      Effect.sync(() => completions.filter((c) => completeOne(c.deliveryId, c.leaseToken, c.outcome, at)).map((c) => c.deliveryId)),
    pendingCount: Effect.sync(() => tables.deliveries.reduce((n, d) => (d.status === "pending" ? n + 1 : n), 0)),
    nextDueAt: Effect.sync(() => {
      let earliest: Date | undefined
      for (const d of tables.deliveries) {
        const webhook = tables.webhooks.get(d.queued.webhookId)
        if (d.status !== "pending" || webhook === undefined || !(webhook.record.enabled || d.queued.eventType === "webhook.test")) continue
        if (earliest === undefined || d.nextAttemptAt < earliest) earliest = d.nextAttemptAt
      }
      return Option.fromNullable(earliest)
    }),
    deliveries: (request) =>
      Effect.sync(() => {
        if (ofOrg(request.orgId, request.webhookId) === undefined) return Option.none()
        const rows = tables.deliveries
          .filter((d) =>
            d.queued.webhookId === request.webhookId &&
            (request.status === null || d.status === request.status) &&
            (request.afterSequence === null || d.sequence < request.afterSequence))
          .reverse()
        return Option.some({ deliveries: rows.slice(0, request.pageSize).map(toDeliveryRecord), hasMore: rows.length > request.pageSize })
      }),
    logHead: Effect.sync(() => log.nextPosition - 1n)
  }
}

/** The webhook store on tables shared with the other memory stores (it reads the event log's). */
export const WebhookStoreMemoryShared: Layer.Layer<WebhookStore, never, MemoryDatabase | MemoryWebhookDatabase> = Layer.effect(
  WebhookStore,
  Effect.gen(function* () {
    return make(yield* MemoryDatabase, yield* MemoryWebhookDatabase)
  })
)
