import { StoreUnavailable } from "@wa-gateway/domain"
import { Effect, Layer, Option } from "effect"
import { type ApiKeyRecord, ApiKeyStore } from "./api-key-store.js"
import { MemoryDatabase, type MemoryTables } from "./memory-database.js"

const make = (tables: MemoryTables): typeof ApiKeyStore.Service => {
  const update = (id: string, change: (record: ApiKeyRecord) => ApiKeyRecord | undefined) =>
    Effect.sync(() => {
      const record = tables.apiKeys.get(id)
      const changed = record === undefined ? undefined : change(record)
      if (changed !== undefined) tables.apiKeys.set(id, changed)
      return changed !== undefined
    })

  return {
    insert: (record) =>
      Effect.suspend(() =>
        tables.apiKeys.has(record.id) || [...tables.apiKeys.values()].some((k) => k.keyHash === record.keyHash)
          // As in SQL, where the same insert fails on the primary key or the unique hash.
          ? Effect.fail(new StoreUnavailable({ message: "the API key store is unavailable" }))
          : Effect.sync(() => void tables.apiKeys.set(record.id, { ...record, lastUsedAt: null, revokedAt: null }))),
    findByHash: (keyHash) => Effect.sync(() => Option.fromNullable([...tables.apiKeys.values()].find((k) => k.keyHash === keyHash))),
    list: (orgId) =>
      Effect.sync(() =>
        [...tables.apiKeys.values()]
          .filter((k) => k.orgId === orgId)
          .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))),
    revoke: (id, at) => update(id, (k) => (k.revokedAt === null ? { ...k, revokedAt: at } : undefined)),
    touch: (id, at) => Effect.asVoid(update(id, (k) => ({ ...k, lastUsedAt: at }))),
    isEmpty: Effect.sync(() => tables.apiKeys.size === 0)
  }
}

export const ApiKeyStoreMemoryShared: Layer.Layer<ApiKeyStore, never, MemoryDatabase> =
  Layer.effect(ApiKeyStore, Effect.map(MemoryDatabase, make))

export const ApiKeyStoreMemory: Layer.Layer<ApiKeyStore> = Layer.provide(ApiKeyStoreMemoryShared, MemoryDatabase.layer)
