import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger, Option, Redacted, Ref } from "effect"
import { OrgId } from "@wa-gateway/domain"
import { ApiKeyStore, ApiKeyStoreMemory } from "@wa-gateway/adapters"
import { ApiKeys } from "./api-keys.js"
import { bootstrapApiKey } from "./bootstrap.js"

const noJwks = { jwksUrl: Option.none<URL>() }
const withJwks = { jwksUrl: Option.some(new URL("https://id.example/.well-known/jwks.json")) }

/** Runs with fresh stores and returns what was logged alongside the result. */
const run = <A, E>(program: Effect.Effect<A, E, ApiKeys | ApiKeyStore>) =>
  Effect.gen(function* () {
    const lines = yield* Ref.make<ReadonlyArray<string>>([])
    const capture = Logger.make(({ message }) => {
      const text = (Array.isArray(message) ? message : [message]).map(String).join(" ")
      Effect.runSync(Ref.update(lines, (all) => [...all, text]))
    })
    const result = yield* program.pipe(
      Effect.provide(ApiKeys.Live.pipe(Layer.provideMerge(ApiKeyStoreMemory))),
      Effect.provide(Logger.replace(Logger.defaultLogger, capture))
    )
    return { result, logs: yield* Ref.get(lines) }
  })

describe("first-start API key", () => {
  it.effect("with no key and no JWKS, one key for org default with both capabilities is created and logged once", () =>
    Effect.gen(function* () {
      const { result, logs } = yield* run(Effect.gen(function* () {
        const first = yield* bootstrapApiKey(noJwks)
        const second = yield* bootstrapApiKey(noJwks)
        const key = Option.getOrThrow(first)
        const principal = yield* Effect.flatMap(ApiKeys, (apiKeys) => apiKeys.verify(key))
        const listed = yield* Effect.flatMap(ApiKeys, (apiKeys) => apiKeys.list(OrgId.make("default")))
        return { key: Redacted.value(key), second, principal, listed }
      }))
      expect(Option.isNone(result.second)).toBe(true)
      expect(result.principal.orgId).toBe("default")
      expect([...result.principal.capabilities].sort()).toEqual(["manage", "read"])
      expect(result.listed).toHaveLength(1)
      expect(logs).toEqual([`created API key for org default: ${result.key}`])
    }))

  it.effect("with a JWKS configured, no key is created", () =>
    Effect.gen(function* () {
      const { result, logs } = yield* run(Effect.gen(function* () {
        const created = yield* bootstrapApiKey(withJwks)
        const empty = yield* Effect.flatMap(ApiKeyStore, (store) => store.isEmpty)
        return { created, empty }
      }))
      expect(Option.isNone(result.created)).toBe(true)
      expect(result.empty).toBe(true)
      expect(logs).toEqual([])
    }))

  it.effect("when any key exists, none is created", () =>
    Effect.gen(function* () {
      const { result } = yield* run(Effect.gen(function* () {
        yield* Effect.flatMap(ApiKeys, (apiKeys) =>
          apiKeys.create({ orgId: OrgId.make("acme"), capabilities: ["read"], label: null }))
        const created = yield* bootstrapApiKey(noJwks)
        const defaults = yield* Effect.flatMap(ApiKeys, (apiKeys) => apiKeys.list(OrgId.make("default")))
        return { created, defaults }
      }))
      expect(Option.isNone(result.created)).toBe(true)
      expect(result.defaults).toEqual([])
    }))
})
