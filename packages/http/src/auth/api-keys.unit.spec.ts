import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Option, Redacted, Ref, TestClock } from "effect"
import { OrgId, StoreUnavailable } from "@wa-gateway/domain"
import { ApiKeyStore, type ApiKeyRecord } from "@wa-gateway/adapters"
import { ApiKeys, hashApiKey, VERIFIED_KEY_TTL_MS } from "./api-keys.js"

/** A store that records what it was asked, and can be switched to fail `touch`. */
const recordingStore = Effect.gen(function* () {
  const rows = yield* Ref.make<ReadonlyArray<ApiKeyRecord>>([])
  const touches = yield* Ref.make(0)
  const touchFails = yield* Ref.make(false)
  const storeDown = yield* Ref.make(false)
  const update = (id: string, f: (row: ApiKeyRecord) => ApiKeyRecord) =>
    Ref.update(rows, (all) => all.map((row) => (row.id === id ? f(row) : row)))
  const store = ApiKeyStore.of({
    insert: (record) => Ref.update(rows, (all) => [...all, { ...record, lastUsedAt: null, revokedAt: null }]),
    findByHash: (hash) =>
      Effect.flatMap(Ref.get(storeDown), (down) =>
        down
          ? Effect.fail(new StoreUnavailable({ message: "down" }))
          : Effect.map(Ref.get(rows), (all) => Option.fromNullable(all.find((row) => row.keyHash === hash)))),
    list: (orgId) => Effect.map(Ref.get(rows), (all) => all.filter((row) => row.orgId === orgId)),
    revoke: (id, at) =>
      Effect.gen(function* () {
        const row = (yield* Ref.get(rows)).find((r) => r.id === id)
        if (row === undefined || row.revokedAt !== null) return false
        yield* update(id, (r) => ({ ...r, revokedAt: at }))
        return true
      }),
    touch: (id, at) =>
      Effect.gen(function* () {
        if (yield* Ref.get(touchFails)) return yield* new StoreUnavailable({ message: "down" })
        yield* Ref.update(touches, (n) => n + 1)
        yield* update(id, (r) => ({ ...r, lastUsedAt: at }))
      }),
    isEmpty: Effect.map(Ref.get(rows), (all) => all.length === 0)
  })
  return { store, rows, touches, touchFails, storeDown }
})

const withApiKeys = <A, E>(test: (tools: Effect.Effect.Success<typeof recordingStore>) => Effect.Effect<A, E, ApiKeys>) =>
  Effect.gen(function* () {
    const tools = yield* recordingStore
    return yield* test(tools).pipe(Effect.provide(ApiKeys.Live.pipe(Layer.provide(Layer.succeed(ApiKeyStore, tools.store)))))
  })

const acme = OrgId.make("acme")
const globex = OrgId.make("globex")

const reasonOf = <A>(result: Either.Either<A, { readonly _tag: string }>) =>
  Either.isLeft(result) && result.left._tag === "AuthenticationFailed" && "reason" in result.left ? String(result.left.reason) : "no failure"

describe("API keys", () => {
  it.effect("a created key is wag_ + 43 base64url characters, stored only as its SHA-256", () =>
    withApiKeys(({ rows }) =>
      Effect.gen(function* () {
        const apiKeys = yield* ApiKeys
        const created = yield* apiKeys.create({ orgId: acme, capabilities: ["read", "manage"], label: "ci" })
        const key = Redacted.value(created.key)
        expect(key).toMatch(/^wag_[A-Za-z0-9_-]{43}$/)
        const [row] = yield* Ref.get(rows)
        expect(row?.keyHash).toBe(hashApiKey(key))
        expect(row?.keyHash).toMatch(/^[0-9a-f]{64}$/)
        expect(JSON.stringify(row)).not.toContain(key.slice(4))
        expect(created.info).not.toHaveProperty("keyHash")
        expect(created.info).toMatchObject({ orgId: "acme", label: "ci", revokedAt: null })
      })))

  it.effect("two keys never share a secret", () =>
    withApiKeys(() =>
      Effect.gen(function* () {
        const apiKeys = yield* ApiKeys
        const a = yield* apiKeys.create({ orgId: acme, capabilities: ["read"], label: null })
        const b = yield* apiKeys.create({ orgId: acme, capabilities: ["read"], label: null })
        expect(Redacted.value(a.key)).not.toBe(Redacted.value(b.key))
        expect(a.info.id).not.toBe(b.info.id)
      })))

  it.effect("a valid key yields its org, its capabilities and its id as subject", () =>
    withApiKeys(() =>
      Effect.gen(function* () {
        const apiKeys = yield* ApiKeys
        const created = yield* apiKeys.create({ orgId: acme, capabilities: ["read"], label: null })
        const principal = yield* apiKeys.verify(created.key)
        expect(principal.orgId).toBe("acme")
        expect([...principal.capabilities]).toEqual(["read"])
        expect(principal.subject).toBe(`api-key:${created.info.id}`)
      })))

  it.effect("unknown, malformed and tampered keys are rejected", () =>
    withApiKeys(() =>
      Effect.gen(function* () {
        const apiKeys = yield* ApiKeys
        const key = Redacted.value((yield* apiKeys.create({ orgId: acme, capabilities: ["read"], label: null })).key)
        const last = key.at(-1) === "A" ? "B" : "A"
        expect(reasonOf(yield* Effect.either(apiKeys.verify(Redacted.make(key.slice(0, -1) + last))))).toMatch(/unknown/)
        expect(reasonOf(yield* Effect.either(apiKeys.verify(Redacted.make(key + "A"))))).toMatch(/malformed/)
        expect(reasonOf(yield* Effect.either(apiKeys.verify(Redacted.make("wag_short"))))).toMatch(/malformed/)
        expect(reasonOf(yield* Effect.either(apiKeys.verify(Redacted.make(`wag_${"!".repeat(43)}`))))).toMatch(/malformed/)
      })))

  it.effect("a revoked key is rejected, and revoking twice or an unknown id reports false", () =>
    withApiKeys(() =>
      Effect.gen(function* () {
        const apiKeys = yield* ApiKeys
        const created = yield* apiKeys.create({ orgId: acme, capabilities: ["read", "manage"], label: null })
        expect(yield* apiKeys.revoke(created.info.id)).toBe(true)
        expect(reasonOf(yield* Effect.either(apiKeys.verify(created.key)))).toMatch(/revoked/)
        expect(yield* apiKeys.revoke(created.info.id)).toBe(false)
        expect(yield* apiKeys.revoke("key_unknown")).toBe(false)
      })))

  it.effect("a key revoked through this service stops working at once, even right after a successful use, and is not recalled", () =>
    withApiKeys(() =>
      Effect.gen(function* () {
        const apiKeys = yield* ApiKeys
        const created = yield* apiKeys.create({ orgId: acme, capabilities: ["read"], label: null })
        yield* apiKeys.verify(created.key)
        expect(apiKeys.recall(created.key)).toBeDefined()
        expect(yield* apiKeys.revoke(created.info.id)).toBe(true)
        expect(apiKeys.recall(created.key)).toBeUndefined()
        expect(reasonOf(yield* Effect.either(apiKeys.verify(created.key)))).toMatch(/revoked/)
      })))

  it.effect("a key revoked by another process (straight in the store) stops working within VERIFIED_KEY_TTL_MS", () =>
    withApiKeys(({ store }) =>
      Effect.gen(function* () {
        const apiKeys = yield* ApiKeys
        yield* TestClock.setTime(2_000_000)
        const created = yield* apiKeys.create({ orgId: acme, capabilities: ["read"], label: null })
        yield* apiKeys.verify(created.key)
        expect(yield* store.revoke(created.info.id, new Date(2_000_000))).toBe(true)
        yield* TestClock.adjust(VERIFIED_KEY_TTL_MS)
        expect(reasonOf(yield* Effect.either(apiKeys.verify(created.key)))).toMatch(/revoked/)
        // API.md/issue 3: a revoked key is 401. The CLI needs over a second to start and revoke,
        // so a key used just before `api-keys revoke` must already be out of the cache by then.
        expect(VERIFIED_KEY_TTL_MS).toBeLessThanOrEqual(500)
      })))

  it.effect("a verified key is not looked up again within VERIFIED_KEY_TTL_MS", () =>
    withApiKeys(({ storeDown }) =>
      Effect.gen(function* () {
        const apiKeys = yield* ApiKeys
        const created = yield* apiKeys.create({ orgId: acme, capabilities: ["read"], label: null })
        yield* apiKeys.verify(created.key)
        yield* Ref.set(storeDown, true)
        expect((yield* apiKeys.verify(created.key)).orgId).toBe("acme")
        yield* TestClock.adjust(VERIFIED_KEY_TTL_MS)
        const result = yield* Effect.either(apiKeys.verify(created.key))
        expect(Either.isLeft(result) && result.left._tag).toBe("StoreUnavailable")
      })))

  it.effect("recall answers from memory alone what verify answered within VERIFIED_KEY_TTL_MS, and nothing else", () =>
    withApiKeys(({ storeDown }) =>
      Effect.gen(function* () {
        const apiKeys = yield* ApiKeys
        yield* TestClock.setTime(3_000_000)
        const created = yield* apiKeys.create({ orgId: acme, capabilities: ["read"], label: null })
        const other = yield* apiKeys.create({ orgId: acme, capabilities: ["read"], label: null })
        // Never verified: recall does not ask the store.
        expect(apiKeys.recall(created.key)).toBeUndefined()
        const principal = yield* apiKeys.verify(created.key)
        yield* Ref.set(storeDown, true)
        expect(apiKeys.recall(created.key)).toBe(principal)
        expect(apiKeys.recall(other.key)).toBeUndefined()
        expect(apiKeys.recall(Redacted.make(Redacted.value(created.key) + "A"))).toBeUndefined()
        yield* TestClock.adjust(VERIFIED_KEY_TTL_MS)
        expect(apiKeys.recall(created.key)).toBeUndefined()
      })))

  it.effect("list shows one org's keys and never a hash or secret", () =>
    withApiKeys(() =>
      Effect.gen(function* () {
        const apiKeys = yield* ApiKeys
        const mine = yield* apiKeys.create({ orgId: acme, capabilities: ["read"], label: "mine" })
        yield* apiKeys.create({ orgId: globex, capabilities: ["read"], label: "theirs" })
        const listed = yield* apiKeys.list(acme)
        expect(listed.map((info) => info.id)).toEqual([mine.info.id])
        expect(listed[0]).not.toHaveProperty("keyHash")
        expect(JSON.stringify(listed)).not.toContain(Redacted.value(mine.key))
      })))

  it.effect("last use is recorded at most once a minute per key", () =>
    withApiKeys(({ touches, rows }) =>
      Effect.gen(function* () {
        const apiKeys = yield* ApiKeys
        yield* TestClock.setTime(1_000_000)
        const created = yield* apiKeys.create({ orgId: acme, capabilities: ["read"], label: null })
        yield* apiKeys.verify(created.key)
        yield* apiKeys.verify(created.key)
        expect(yield* Ref.get(touches)).toBe(1)
        expect((yield* Ref.get(rows))[0]?.lastUsedAt?.getTime()).toBe(1_000_000)
        yield* TestClock.adjust("61 seconds")
        yield* apiKeys.verify(created.key)
        expect(yield* Ref.get(touches)).toBe(2)
      })))

  it.effect("a failure to record last use does not fail the request", () =>
    withApiKeys(({ touchFails }) =>
      Effect.gen(function* () {
        const apiKeys = yield* ApiKeys
        const created = yield* apiKeys.create({ orgId: acme, capabilities: ["manage"], label: null })
        yield* Ref.set(touchFails, true)
        const principal = yield* apiKeys.verify(created.key)
        expect(principal.orgId).toBe("acme")
      })))

  it.effect("an unreachable store is StoreUnavailable (503), not an authentication failure (401)", () =>
    withApiKeys(({ storeDown }) =>
      Effect.gen(function* () {
        const apiKeys = yield* ApiKeys
        const created = yield* apiKeys.create({ orgId: acme, capabilities: ["read"], label: null })
        yield* Ref.set(storeDown, true)
        const result = yield* Effect.either(apiKeys.verify(created.key))
        expect(Either.isLeft(result) && result.left._tag).toBe("StoreUnavailable")
      })))
})
