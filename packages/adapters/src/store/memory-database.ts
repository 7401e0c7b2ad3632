import type { SessionRecord, StoredEvent } from "@wa-gateway/domain"
import { Context, Layer } from "effect"
import type { ApiKeyRecord } from "./api-key-store.js"

/**
 * The in-memory counterpart of the SQL tables, shared by the memory stores
 * so that erasing a session also drops its auth state, as in SQL. Every
 * operation on it is synchronous, hence atomic.
 */
export interface MemoryTables {
  /** The global log in position order. */
  readonly events: Array<StoredEvent>
  /** Stream id → the indexes of its events in `events`, in version order. */
  readonly streams: Map<string, Array<number>>
  readonly sessions: Map<string, SessionRecord>
  /** Session id → `category/keyId` → JSON text. */
  readonly waAuth: Map<string, Map<string, string>>
  readonly apiKeys: Map<string, ApiKeyRecord>
  nextPosition: bigint
}

export class MemoryDatabase extends Context.Tag("wa-gateway/MemoryDatabase")<MemoryDatabase, MemoryTables>() {
  /** Fresh, empty tables for each build of the layer. */
  static readonly layer: Layer.Layer<MemoryDatabase> = Layer.sync(this, () => ({
    events: [],
    streams: new Map(),
    sessions: new Map(),
    waAuth: new Map(),
    apiKeys: new Map(),
    nextPosition: 1n
  }))
}
