import { Context, Layer } from "effect"
import type { ConnectionEvent } from "./connection-log.js"
import type { NewDelivery, WebhookRecord } from "./webhook-store.js"

/** A subscription in memory, with its checkpoints. */
export interface MemoryWebhook {
  record: WebhookRecord
  logCheckpoint: bigint
  connectionCheckpoint: bigint
}

/** A delivery in memory: what was queued, and where its attempts stand. */
export interface MemoryDelivery {
  readonly sequence: bigint
  readonly queued: NewDelivery
  status: "pending" | "succeeded" | "failed"
  attempts: number
  lastStatusCode: number | null
  lastError: string | null
  nextAttemptAt: Date
  leaseToken: string | null
  updatedAt: Date
}

export interface MemoryReplay {
  readonly replayId: string
  readonly webhookId: string
  afterPosition: bigint
  readonly untilPosition: bigint
}

/**
 * The in-memory counterpart of the webhook tables and the connection log,
 * shared by their memory stores. Every operation on it is synchronous, hence atomic.
 */
export interface MemoryWebhookTables {
  readonly connectionEvents: Array<ConnectionEvent>
  readonly webhooks: Map<string, MemoryWebhook>
  /** In sequence order. */
  readonly deliveries: Array<MemoryDelivery>
  readonly replays: Map<string, MemoryReplay>
  nextConnectionPosition: bigint
  nextSequence: bigint
}

export class MemoryWebhookDatabase extends Context.Tag("wa-gateway/MemoryWebhookDatabase")<MemoryWebhookDatabase, MemoryWebhookTables>() {
  /** Fresh, empty tables for each build of the layer. */
  static readonly layer: Layer.Layer<MemoryWebhookDatabase> = Layer.sync(this, () => ({
    connectionEvents: [],
    webhooks: new Map(),
    deliveries: [],
    replays: new Map(),
    nextConnectionPosition: 1n,
    nextSequence: 1n
  }))
}
