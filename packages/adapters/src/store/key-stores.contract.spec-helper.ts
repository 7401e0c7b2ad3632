import { expect, layer } from "@effect/vitest"
import { type StoreUnavailable } from "@wa-gateway/domain"
import { Effect, Either, type Layer, Option } from "effect"
import { ApiKeyStore } from "./api-key-store.js"
import { newOrg } from "./event-store.contract.spec-helper.js"
import { randomSuffix } from "./test-database.spec-helper.js"

const key = (orgId = newOrg(), createdAt = new Date("2026-05-01T00:00:00.000Z")) => ({
  id: `key_${randomSuffix()}`,
  orgId,
  keyHash: randomSuffix().repeat(4),
  capabilities: ["read", "manage"] as const,
  label: "ci",
  createdAt
})

/** The ApiKeyStore contract; `stores` starts empty and is shared by the cases. */
export const keyStoresContract = (name: string, stores: Layer.Layer<ApiKeyStore, StoreUnavailable>) =>
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
  })
