import { expect, layer } from "@effect/vitest"
import { type StoreUnavailable } from "@wa-gateway/domain"
import { Effect, Either, type Layer, Option } from "effect"
import { ApiKeyStore } from "./api-key-store.js"
import { AuthStateStore } from "./auth-state-store.js"
import { newOrg } from "./event-store.contract.spec-helper.js"
import { randomSessionId, randomSuffix } from "./test-database.spec-helper.js"

const key = (orgId = newOrg(), createdAt = new Date("2026-05-01T00:00:00.000Z")) => ({
  id: `key_${randomSuffix()}`,
  orgId,
  keyHash: randomSuffix().repeat(4),
  capabilities: ["read", "manage"] as const,
  label: "ci",
  createdAt
})

/** The ApiKeyStore and AuthStateStore contract; `stores` starts empty and is shared by the cases. */
export const keyStoresContract = (name: string, stores: Layer.Layer<ApiKeyStore | AuthStateStore, StoreUnavailable>) =>
  layer(stores, { timeout: "120 seconds" })(name, (it) => {
    // First on purpose: the store is fresh only before any other case ran.
    it.effect("is empty until the first key is stored, revoked or not", () =>
      Effect.gen(function* () {
        const keys = yield* ApiKeyStore
        expect(yield* keys.isEmpty).toBe(true)
        const first = key()
        yield* keys.insert(first)
        yield* keys.revoke(first.id, new Date())
        expect(yield* keys.isEmpty).toBe(false)
      }))

    it.effect("finds a stored key by its hash, never used and not revoked", () =>
      Effect.gen(function* () {
        const keys = yield* ApiKeyStore
        const stored = key()
        yield* keys.insert(stored)
        expect(yield* keys.findByHash(stored.keyHash)).toEqual(Option.some({ ...stored, capabilities: ["read", "manage"], lastUsedAt: null, revokedAt: null }))
        expect(yield* keys.findByHash("0".repeat(64))).toEqual(Option.none())
      }))

    it.effect("refuses a second key with the same hash", () =>
      Effect.gen(function* () {
        const keys = yield* ApiKeyStore
        const stored = key()
        yield* keys.insert(stored)
        const again = yield* Effect.either(keys.insert({ ...key(), keyHash: stored.keyHash }))
        expect(Either.isLeft(again) && again.left._tag).toBe("StoreUnavailable")
      }))

    it.effect("lists the keys of one org, oldest first", () =>
      Effect.gen(function* () {
        const keys = yield* ApiKeyStore
        const org = newOrg()
        const older = key(org, new Date("2026-05-01T00:00:00.000Z"))
        const newer = key(org, new Date("2026-05-02T00:00:00.000Z"))
        yield* keys.insert(newer)
        yield* keys.insert(older)
        yield* keys.insert(key())
        expect((yield* keys.list(org)).map((k) => k.id)).toEqual([older.id, newer.id])
      }))

    it.effect("revokes a key once, and records its last use", () =>
      Effect.gen(function* () {
        const keys = yield* ApiKeyStore
        const stored = key()
        yield* keys.insert(stored)
        const usedAt = new Date("2026-05-03T00:00:00.000Z")
        const revokedAt = new Date("2026-05-04T00:00:00.000Z")
        yield* keys.touch(stored.id, usedAt)
        expect(yield* keys.revoke(stored.id, revokedAt)).toBe(true)
        expect(yield* keys.revoke(stored.id, new Date())).toBe(false)
        expect(yield* keys.revoke("key_unknown", new Date())).toBe(false)
        expect(Option.map(yield* keys.findByHash(stored.keyHash), (k) => [k.lastUsedAt, k.revokedAt])).toEqual(Option.some([usedAt, revokedAt]))
      }))

    it.effect("stores auth state as JSON per session, category and key", () =>
      Effect.gen(function* () {
        const auth = yield* AuthStateStore
        const [session, other] = [randomSessionId(), randomSessionId()]
        const creds = { me: { id: "6281@s.whatsapp.net", name: "Ana" }, registered: true, nums: [1, 2.5, -3] }
        yield* auth.set(session, [
          { category: "creds", keyId: "", value: creds },
          { category: "pre-key", keyId: "1", value: "text" },
          { category: "pre-key", keyId: "2", value: [1, "two", null] },
          { category: "session", keyId: "1", value: 42 }
        ])
        yield* auth.set(other, [{ category: "pre-key", keyId: "1", value: "other" }])
        expect(Object.fromEntries(yield* auth.get(session, "creds", [""]))).toEqual({ "": creds })
        expect(Object.fromEntries(yield* auth.get(session, "pre-key", ["1", "2", "3"]))).toEqual({ 1: "text", 2: [1, "two", null] })
        expect(Object.fromEntries(yield* auth.get(session, "session", ["1", "2"]))).toEqual({ 1: 42 })
        expect(Object.fromEntries(yield* auth.get(other, "pre-key", ["1"]))).toEqual({ 1: "other" })
        expect((yield* auth.get(session, "pre-key", [])).size).toBe(0)
      }))

    it.effect("replaces existing keys, the last of duplicates winning", () =>
      Effect.gen(function* () {
        const auth = yield* AuthStateStore
        const session = randomSessionId()
        yield* auth.set(session, [{ category: "app-state-sync-key", keyId: "a", value: 1 }])
        yield* auth.set(session, [
          { category: "app-state-sync-key", keyId: "a", value: 2 },
          { category: "app-state-sync-key", keyId: "a", value: 3 }
        ])
        expect(Object.fromEntries(yield* auth.get(session, "app-state-sync-key", ["a"]))).toEqual({ a: 3 })
      }))

    it.effect("deletes named keys, and purges every key of one session only", () =>
      Effect.gen(function* () {
        const auth = yield* AuthStateStore
        const [session, other] = [randomSessionId(), randomSessionId()]
        yield* auth.set(session, [
          { category: "pre-key", keyId: "1", value: 1 },
          { category: "pre-key", keyId: "2", value: 2 },
          { category: "creds", keyId: "", value: {} }
        ])
        yield* auth.set(other, [{ category: "creds", keyId: "", value: { kept: true } }])
        yield* auth.delete(session, "pre-key", ["1"])
        expect([...(yield* auth.get(session, "pre-key", ["1", "2"])).keys()]).toEqual(["2"])
        yield* auth.purge(session)
        expect((yield* auth.get(session, "pre-key", ["1", "2"])).size).toBe(0)
        expect((yield* auth.get(session, "creds", [""])).size).toBe(0)
        expect(Object.fromEntries(yield* auth.get(other, "creds", [""]))).toEqual({ "": { kept: true } })
      }))
  })
