import { createHash, randomBytes, timingSafeEqual } from "node:crypto"
import { Clock, Context, Effect, Layer, Option, Redacted } from "effect"
import { makeUlid, type OrgId, type StoreUnavailable } from "@wa-gateway/domain"
import { ApiKeyStore, type ApiKeyRecord, type Capability } from "@wa-gateway/adapters"
import { AuthenticationFailed } from "./authenticator.js"
import type { Principal } from "./principal.js"

export const API_KEY_PREFIX = "wag_"
/** `wag_` + base64url of 32 random bytes (43 characters, no padding). */
const API_KEY_FORMAT = /^wag_[A-Za-z0-9_-]{43}$/
/** `last_used_at` is a hint for humans; writing it on every request would cost a round trip each. */
const LAST_USED_RESOLUTION_MS = 60_000
/**
 * A verified key is trusted this long without asking the store again: a key
 * revoked by another process (the CLI) stops working within this bound; one
 * revoked through this service stops at once. Shorter than the CLI takes to
 * start and revoke (over 1 s), so "use, revoke with the CLI, use" is already
 * 401; at thousands of requests per second it still saves nearly every lookup.
 */
export const VERIFIED_KEY_TTL_MS = 500
/** Past this many cached keys the cache starts over, so presented keys cannot grow memory without bound. */
const VERIFIED_KEY_CACHE_LIMIT = 10_000

/** What may be shown about a key: everything but the hash. */
export type ApiKeyInfo = Omit<ApiKeyRecord, "keyHash">

export interface NewApiKey {
  readonly orgId: OrgId
  readonly capabilities: readonly [Capability, ...Array<Capability>]
  readonly label: string | null
}

export interface CreatedApiKey {
  readonly info: ApiKeyInfo
  /** The plain key, shown once and never stored. */
  readonly key: Redacted.Redacted<string>
}

export const hashApiKey = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex")

const sameHash = (a: string, b: string): boolean => {
  const left = Buffer.from(a, "hex")
  const right = Buffer.from(b, "hex")
  return left.length === right.length && timingSafeEqual(left, right)
}

const toInfo = ({ keyHash: _hash, ...info }: ApiKeyRecord): ApiKeyInfo => info

const makeApiKeyId: Effect.Effect<string> = Effect.map(makeUlid, (ulid) => `key_${ulid}`)

/** API keys for scripts and services: created by the CLI, verified on every request. */
export class ApiKeys extends Context.Tag("wa-gateway/ApiKeys")<ApiKeys, {
  readonly create: (input: NewApiKey) => Effect.Effect<CreatedApiKey, StoreUnavailable>
  readonly list: (orgId: OrgId) => Effect.Effect<ReadonlyArray<ApiKeyInfo>, StoreUnavailable>
  /** True when the key was revoked now; false when unknown or already revoked. */
  readonly revoke: (id: string) => Effect.Effect<boolean, StoreUnavailable>
  readonly verify: (key: Redacted.Redacted<string>) => Effect.Effect<Principal, AuthenticationFailed | StoreUnavailable>
  /**
   * What `verify` answers from its memory alone (a key it verified within
   * VERIFIED_KEY_TTL_MS), read at once without running an effect;
   * `undefined` when it would have to ask the store or would refuse.
   */
  readonly recall: (key: Redacted.Redacted<string>) => Principal | undefined
}>() {
  static readonly Live = Layer.effect(
    this,
    Effect.gen(function* () {
      const store = yield* ApiKeyStore
      const clock = yield* Effect.clock

      const create = (input: NewApiKey) =>
        Effect.gen(function* () {
          const key = API_KEY_PREFIX + randomBytes(32).toString("base64url")
          const id = yield* makeApiKeyId
          const createdAt = new Date(yield* Clock.currentTimeMillis)
          const record = {
            id,
            orgId: input.orgId,
            keyHash: hashApiKey(key),
            capabilities: [...new Set(input.capabilities)],
            label: input.label,
            createdAt
          }
          yield* store.insert(record)
          return { info: toInfo({ ...record, lastUsedAt: null, revokedAt: null }), key: Redacted.make(key) }
        })

      const list = (orgId: OrgId) => Effect.map(store.list(orgId), (records) => records.map(toInfo))

      /** Hash of a presented key → what it proved, until `expiresAt` (epoch ms). */
      const verified = new Map<string, { readonly principal: Principal; readonly expiresAt: number }>()

      const forget = (id: string) => {
        const subject = `api-key:${id}`
        for (const [hash, entry] of verified) if (entry.principal.subject === subject) verified.delete(hash)
      }

      const revoke = (id: string) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => store.revoke(id, new Date(now))).pipe(
          Effect.ensuring(Effect.sync(() => forget(id)))
        )

      /** Best effort: a failed write must not fail the request it rides on. */
      const touch = (record: ApiKeyRecord, now: number) =>
        record.lastUsedAt !== null && now - record.lastUsedAt.getTime() < LAST_USED_RESOLUTION_MS
          ? Effect.void
          : store.touch(record.id, new Date(now)).pipe(
              Effect.catchAll((error) => Effect.logWarning("could not record api key use", error.message))
            )

      const verifyInStore = (hash: string, now: number) =>
        Effect.gen(function* () {
          const found = yield* store.findByHash(hash)
          if (Option.isNone(found) || !sameHash(found.value.keyHash, hash)) {
            return yield* new AuthenticationFailed({ reason: "unknown api key" })
          }
          const record = found.value
          if (record.revokedAt !== null) {
            return yield* new AuthenticationFailed({ reason: `api key ${record.id} is revoked` })
          }
          yield* touch(record, now)
          const principal: Principal = {
            orgId: record.orgId,
            capabilities: new Set(record.capabilities),
            subject: `api-key:${record.id}`
          }
          if (verified.size >= VERIFIED_KEY_CACHE_LIMIT) verified.clear()
          verified.set(hash, { principal, expiresAt: now + VERIFIED_KEY_TTL_MS })
          return principal
        })

      const remembered = (hash: string, now: number): Principal | undefined => {
        const cached = verified.get(hash)
        return cached !== undefined && cached.expiresAt > now ? cached.principal : undefined
      }

      // Every request carries its key: a store round trip per request would be most of its cost.
      const verify = (presented: Redacted.Redacted<string>) =>
        Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<Principal, AuthenticationFailed | StoreUnavailable> => {
          const key = Redacted.value(presented)
          if (!API_KEY_FORMAT.test(key)) return Effect.fail(new AuthenticationFailed({ reason: "malformed api key" }))
          const hash = hashApiKey(key)
          const principal = remembered(hash, now)
          return principal !== undefined ? Effect.succeed(principal) : verifyInStore(hash, now)
        })

      const recall = (presented: Redacted.Redacted<string>): Principal | undefined => {
        const key = Redacted.value(presented)
        return API_KEY_FORMAT.test(key) ? remembered(hashApiKey(key), clock.unsafeCurrentTimeMillis()) : undefined
      }

      return { create, list, revoke, verify, recall }
    })
  )
}
