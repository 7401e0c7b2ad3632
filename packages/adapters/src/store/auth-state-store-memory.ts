import { Effect, Layer, Option } from "effect"
import { AuthStateStore, AuthStateWriteRefused, changeRows, CREDS_CATEGORY } from "./auth-state-store.js"
import { MemoryDatabase, type MemoryTables } from "./memory-database.js"

const keyOf = (category: string, keyId: string) => JSON.stringify([category, keyId])
const CREDS_KEY = keyOf(CREDS_CATEGORY, "")

const make = (tables: MemoryTables): typeof AuthStateStore.Service => {
  /** The session's rows, for a write: only while its head exists, as in SQL. */
  const writable = (sessionId: string) =>
    Effect.suspend(() => {
      if (!tables.sessions.has(sessionId)) return Effect.fail(new AuthStateWriteRefused({ sessionId }))
      const rows = tables.waAuth.get(sessionId) ?? new Map<string, string>()
      tables.waAuth.set(sessionId, rows)
      return Effect.succeed(rows)
    })

  return {
    readCreds: (sessionId) => Effect.sync(() => Option.fromNullable(tables.waAuth.get(sessionId)?.get(CREDS_KEY))),
    writeCreds: (sessionId, creds) => Effect.map(writable(sessionId), (rows) => void rows.set(CREDS_KEY, creds)),
    get: (sessionId, type, keyIds) =>
      Effect.sync(() => {
        const rows = tables.waAuth.get(sessionId)
        const found = new Map<string, string>()
        for (const keyId of keyIds) {
          const text = rows?.get(keyOf(type, keyId))
          if (text !== undefined) found.set(keyId, text)
        }
        return found
      }),
    // Synchronous once the head is checked, hence atomic.
    set: (sessionId, changes) =>
      Effect.map(writable(sessionId), (rows) => {
        for (const { category, keyId, value } of changeRows(changes)) {
          if (value === null) rows.delete(keyOf(category, keyId))
          else rows.set(keyOf(category, keyId), value)
        }
      }),
    purge: (sessionId) => Effect.sync(() => void tables.waAuth.delete(sessionId))
  }
}

export const AuthStateStoreMemoryShared: Layer.Layer<AuthStateStore, never, MemoryDatabase> =
  Layer.effect(AuthStateStore, Effect.map(MemoryDatabase, make))
