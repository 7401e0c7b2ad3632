import { Effect, Layer } from "effect"
import { AuthStateStore, type JsonValue } from "./auth-state-store.js"
import { MemoryDatabase, type MemoryTables } from "./memory-database.js"

// Values are kept as JSON text, so a caller mutating what it stored or read
// cannot change the store, as with jsonb.
const keyOf = (category: string, keyId: string) => JSON.stringify([category, keyId])

const parseJson = (text: string): JsonValue => JSON.parse(text)

const make = (tables: MemoryTables): typeof AuthStateStore.Service => ({
  get: (sessionId, category, keyIds) =>
    Effect.sync(() => {
      const rows = tables.waAuth.get(sessionId)
      const found = new Map<string, JsonValue>()
      for (const keyId of keyIds) {
        const text = rows?.get(keyOf(category, keyId))
        if (text !== undefined) found.set(keyId, parseJson(text))
      }
      return found
    }),
  set: (sessionId, entries) =>
    Effect.sync(() => {
      if (entries.length === 0) return
      const rows = tables.waAuth.get(sessionId) ?? new Map<string, string>()
      for (const entry of entries) rows.set(keyOf(entry.category, entry.keyId), JSON.stringify(entry.value))
      tables.waAuth.set(sessionId, rows)
    }),
  delete: (sessionId, category, keyIds) =>
    Effect.sync(() => {
      const rows = tables.waAuth.get(sessionId)
      for (const keyId of keyIds) rows?.delete(keyOf(category, keyId))
    }),
  purge: (sessionId) => Effect.sync(() => void tables.waAuth.delete(sessionId))
})

export const AuthStateStoreMemoryShared: Layer.Layer<AuthStateStore, never, MemoryDatabase> =
  Layer.effect(AuthStateStore, Effect.map(MemoryDatabase, make))

export const AuthStateStoreMemory: Layer.Layer<AuthStateStore> = Layer.provide(AuthStateStoreMemoryShared, MemoryDatabase.layer)
