import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Option, Redacted, TestClock } from "effect"
import { OrgId } from "@wa-gateway/domain"
import { ApiKeyStoreMemory } from "@wa-gateway/adapters"
import { startTestJwtIssuer, testJwtIssuer, type TestJwtIssuer } from "@wa-gateway/testkit"
import { ApiKeys } from "./api-keys.js"
import type { AuthSettings } from "./auth-config.js"
import { Authenticator } from "./authenticator.js"
import { authenticatorLayer, type AuthenticatorOptions } from "./authenticator-live.js"

const settingsFor = (issuer: TestJwtIssuer | null): AuthSettings => ({
  jwksUrl: issuer === null ? Option.none() : Option.some(new URL(issuer.jwksUrl)),
  issuer: issuer === null ? Option.none() : Option.some(issuer.issuer),
  audience: issuer === null ? Option.none() : Option.some(issuer.audience),
  orgClaim: "org_id",
  roleClaim: "role"
})

const authenticate = (token: string) =>
  Effect.flatMap(Authenticator, (authenticator) => Effect.either(authenticator.authenticate(Redacted.make(token))))

/** Real time: the JWKS cache and jose's own expiry checks run on the wall clock. */
const withAuthenticator = <A, E>(
  issuer: TestJwtIssuer | null,
  options: AuthenticatorOptions,
  test: Effect.Effect<A, E, Authenticator | ApiKeys>
) => {
  const layer = authenticatorLayer(settingsFor(issuer), options).pipe(
    Layer.provideMerge(ApiKeys.Live),
    Layer.provide(ApiKeyStoreMemory)
  )
  return Effect.provide(test, layer)
}

describe("Authenticator", () => {
  it.scopedLive("a login JWT from the JWKS yields its org and role capabilities", () =>
    Effect.gen(function* () {
      const issuer = yield* testJwtIssuer()
      const token = yield* Effect.promise(() => issuer.mint({ org: "acme", role: "member", sub: "u1" }))
      const result = yield* withAuthenticator(issuer, {}, authenticate(token))
      expect(Either.getOrThrow(result)).toMatchObject({ orgId: "acme", subject: "jwt:u1" })
      expect([...Either.getOrThrow(result).capabilities]).toEqual(["read"])
    }))

  it.scopedLive("wag_ tokens go to the API keys, and work without a JWKS", () =>
    withAuthenticator(null, {}, Effect.gen(function* () {
      const created = yield* Effect.flatMap(ApiKeys, (keys) =>
        keys.create({ orgId: OrgId.make("acme"), capabilities: ["manage"], label: null }))
      const result = yield* authenticate(Redacted.value(created.key))
      expect(Either.getOrThrow(result).orgId).toBe("acme")
      const revoked = yield* Effect.flatMap(ApiKeys, (keys) => keys.revoke(created.info.id))
      expect(revoked).toBe(true)
      expect(Either.isLeft(yield* authenticate(Redacted.value(created.key)))).toBe(true)
    })))

  it.scopedLive("recall remembers an API key it verified moments ago, never a JWT", () =>
    Effect.gen(function* () {
      const issuer = yield* testJwtIssuer()
      const jwt = yield* Effect.promise(() => issuer.mint({ org: "acme", role: "owner" }))
      yield* withAuthenticator(issuer, {}, Effect.gen(function* () {
        const authenticator = yield* Authenticator
        const created = yield* Effect.flatMap(ApiKeys, (keys) =>
          keys.create({ orgId: OrgId.make("acme"), capabilities: ["read"], label: null }))
        expect(authenticator.recall(created.key)).toBeUndefined()
        const principal = Either.getOrThrow(yield* authenticate(Redacted.value(created.key)))
        expect(authenticator.recall(created.key)).toBe(principal)
        expect(Either.isRight(yield* authenticate(jwt))).toBe(true)
        expect(authenticator.recall(Redacted.make(jwt))).toBeUndefined()
      }))
    }))

  it.scopedLive("without AUTH_JWKS_URL a JWT is rejected", () =>
    Effect.gen(function* () {
      const issuer = yield* testJwtIssuer()
      const token = yield* Effect.promise(() => issuer.mint({ org: "acme", role: "owner" }))
      const result = yield* withAuthenticator(null, {}, authenticate(token))
      expect(Either.isLeft(result)).toBe(true)
      expect(issuer.jwksFetches).toBe(0)
    }))

  it.scopedLive("the JWKS is fetched once and cached across requests", () =>
    Effect.gen(function* () {
      const issuer = yield* testJwtIssuer()
      const token = yield* Effect.promise(() => issuer.mint({ org: "acme", role: "owner" }))
      yield* withAuthenticator(issuer, {}, Effect.gen(function* () {
        for (let i = 0; i < 5; i++) expect(Either.isRight(yield* authenticate(token))).toBe(true)
      }))
      expect(issuer.jwksFetches).toBe(1)
    }))

  it.scopedLive("an unknown kid refetches the JWKS once, then is rejected; within the cooldown it does not refetch again", () =>
    Effect.gen(function* () {
      const issuer = yield* testJwtIssuer()
      const known = yield* Effect.promise(() => issuer.mint({ org: "acme", role: "owner" }))
      const hidden = yield* Effect.promise(() => issuer.addKey({ publish: false }))
      const unknown = yield* Effect.promise(() => issuer.mint({ org: "acme", role: "owner", kid: hidden }))
      yield* withAuthenticator(issuer, { jwksCooldownMs: 0 }, Effect.gen(function* () {
        expect(Either.isRight(yield* authenticate(known))).toBe(true)
        expect(issuer.jwksFetches).toBe(1)
        const rejected = yield* authenticate(unknown)
        expect(Either.isLeft(rejected)).toBe(true)
        expect(issuer.jwksFetches).toBe(2)
      }))
      yield* withAuthenticator(issuer, {}, Effect.gen(function* () {
        const before = issuer.jwksFetches
        expect(Either.isRight(yield* authenticate(known))).toBe(true)
        expect(issuer.jwksFetches).toBe(before + 1)
        // Right after the first fetch: the unknown kid still refetches once.
        expect(Either.isLeft(yield* authenticate(unknown))).toBe(true)
        expect(issuer.jwksFetches).toBe(before + 2)
        expect(Either.isLeft(yield* authenticate(unknown))).toBe(true)
        expect(issuer.jwksFetches).toBe(before + 2)
      }))
    }))

  it.scopedLive("a key added to the JWKS is accepted after the refetch", () =>
    Effect.gen(function* () {
      const issuer = yield* testJwtIssuer()
      const known = yield* Effect.promise(() => issuer.mint({ org: "acme", role: "owner" }))
      yield* withAuthenticator(issuer, { jwksCooldownMs: 0 }, Effect.gen(function* () {
        expect(Either.isRight(yield* authenticate(known))).toBe(true)
        const rotated = yield* Effect.promise(() => issuer.rotate({ alg: "ES256" }))
        const token = yield* Effect.promise(() => issuer.mint({ org: "globex", role: "admin" }))
        const result = yield* authenticate(token)
        expect(issuer.currentKid).toBe(rotated)
        expect(Either.getOrThrow(result).orgId).toBe("globex")
        expect(Either.isRight(yield* authenticate(known))).toBe(true)
      }))
    }))

  it.scopedLive("the attack tokens of the test issuer are rejected", () =>
    Effect.gen(function* () {
      const issuer = yield* testJwtIssuer()
      const none = issuer.mintUnsigned({ org: "acme", role: "owner" })
      const confused = yield* Effect.promise(() => issuer.mintWithPublicKeyAsHmacSecret({ org: "acme", role: "owner" }))
      const expired = yield* Effect.promise(() => issuer.mint({ org: "acme", role: "owner", expiresIn: -60 }))
      const noExp = yield* Effect.promise(() => issuer.mint({ org: "acme", role: "owner", expiresIn: null }))
      const wrongAud = yield* Effect.promise(() => issuer.mint({ org: "acme", role: "owner", aud: "other" }))
      const wrongIss = yield* Effect.promise(() => issuer.mint({ org: "acme", role: "owner", iss: "https://evil.test" }))
      yield* withAuthenticator(issuer, {}, Effect.gen(function* () {
        for (const token of [none, confused, expired, noExp, wrongAud, wrongIss, "garbage", "wag_garbage"]) {
          expect(Either.isLeft(yield* authenticate(token)), token).toBe(true)
        }
      }))
    }))
})

describe("Authenticator with the production JWKS cooldown", () => {
  // The JWKS cache reads Effect's Clock, so TestClock moves it; the network stays real.
  it.scoped("a key published since the last fetch is found on first use; after that refetch, the next unknown kid waits the 30 s cooldown", () =>
    Effect.gen(function* () {
      const issuer = yield* testJwtIssuer()
      const start = Date.now()
      yield* TestClock.setTime(start)
      const mint = (kid?: string) => Effect.promise(() => issuer.mint({ org: "acme", role: "owner", ...(kid === undefined ? {} : { kid }) }))
      const known = yield* mint()
      const first = yield* Effect.promise(() => issuer.addKey({ publish: false }))
      const second = yield* Effect.promise(() => issuer.addKey({ publish: false }))
      const byFirst = yield* mint(first)
      const bySecond = yield* mint(second)
      yield* withAuthenticator(issuer, {}, Effect.gen(function* () {
        expect(Either.isRight(yield* authenticate(known))).toBe(true)
        issuer.publishKey(first)
        yield* TestClock.setTime(start + 1_000)
        expect(Either.getOrThrow(yield* authenticate(byFirst)).orgId).toBe("acme")
        expect(issuer.jwksFetches).toBe(2)
        issuer.publishKey(second)
        yield* TestClock.setTime(start + 30_999)
        expect(Either.isLeft(yield* authenticate(bySecond))).toBe(true)
        expect(issuer.jwksFetches).toBe(2)
        yield* TestClock.setTime(start + 31_001)
        expect(Either.getOrThrow(yield* authenticate(bySecond)).orgId).toBe("acme")
        expect(issuer.jwksFetches).toBe(3)
      }))
    }))

  it("an unreachable JWKS makes the token unverifiable (401), not a crash", async () => {
    const issuer = await startTestJwtIssuer()
    const token = await issuer.mint({ org: "acme", role: "owner" })
    await issuer.close()
    const result = await Effect.runPromise(withAuthenticator(issuer, {}, authenticate(token)))
    expect(Either.isLeft(result)).toBe(true)
  })
})
