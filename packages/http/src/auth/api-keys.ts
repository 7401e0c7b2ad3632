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
}>() {
  static readonly Live = Layer.effect(
    this,
    Effect.gen(function* () {
      const store = yield* ApiKeyStore

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

      const revoke = (id: string) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => store.revoke(id, new Date(now)))

      /** Best effort: a failed write must not fail the request it rides on. */
      const touch = (record: ApiKeyRecord, now: number) =>
        record.lastUsedAt !== null && now - record.lastUsedAt.getTime() < LAST_USED_RESOLUTION_MS
          ? Effect.void
          : store.touch(record.id, new Date(now)).pipe(
              Effect.catchAll((error) => Effect.logWarning("could not record api key use", error.message))
            )

      const verify = (presented: Redacted.Redacted<string>) =>
        Effect.gen(function* () {
          const key = Redacted.value(presented)
          if (!API_KEY_FORMAT.test(key)) {
            return yield* new AuthenticationFailed({ reason: "malformed api key" })
          }
          const hash = hashApiKey(key)
          const found = yield* store.findByHash(hash)
          if (Option.isNone(found) || !sameHash(found.value.keyHash, hash)) {
            return yield* new AuthenticationFailed({ reason: "unknown api key" })
          }
          const record = found.value
          if (record.revokedAt !== null) {
            return yield* new AuthenticationFailed({ reason: `api key ${record.id} is revoked` })
          }
          yield* touch(record, yield* Clock.currentTimeMillis)
          const principal: Principal = {
            orgId: record.orgId,
            capabilities: new Set(record.capabilities),
            subject: `api-key:${record.id}`
          }
          return principal
        })

      return { create, list, revoke, verify }
    })
  )
}
