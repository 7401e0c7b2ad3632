import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Option, TestClock } from "effect"
import {
  base64url,
  createLocalJWKSet,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK
} from "jose"
import { makeJwtVerifier, type JwtVerifierOptions } from "./jwt.js"

const NOW_SECONDS = 1_800_000_000

interface TestKey {
  readonly kid: string
  readonly alg: "RS256" | "ES256" | "EdDSA"
  readonly privateKey: CryptoKey
  readonly jwk: JWK
  readonly pem: string
}

const makeKey = async (kid: string, alg: TestKey["alg"]): Promise<TestKey> => {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg }, pem: await exportSPKI(publicKey) }
}

const rsa = await makeKey("rsa-1", "RS256")
const ec = await makeKey("ec-1", "ES256")
const ed = await makeKey("ed-1", "EdDSA")
const impostor = await makeKey("rsa-1", "RS256") // same kid as `rsa`, different key

const keys = createLocalJWKSet({ keys: [rsa.jwk, ec.jwk, ed.jwk] })

const baseClaims = { org_id: "acme", role: "owner", sub: "user-1", iss: "https://id.test", aud: "wa-gateway", exp: NOW_SECONDS + 300 }

const sign = (claims: Record<string, unknown>, key: TestKey = rsa) =>
  Effect.promise(() => new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey))

const verifier = (overrides: Partial<JwtVerifierOptions> = {}) =>
  makeJwtVerifier({
    keys,
    issuer: Option.some("https://id.test"),
    audience: Option.some("wa-gateway"),
    orgClaim: "org_id",
    roleClaim: "role",
    ...overrides
  })

/** Verifies at the fixed test time, so `exp` is judged against Effect's clock. */
const verify = (token: string, overrides: Partial<JwtVerifierOptions> = {}) =>
  TestClock.setTime(NOW_SECONDS * 1000).pipe(Effect.zipRight(Effect.either(verifier(overrides).verify(token))))

const expectRejected = (token: string, reason: RegExp, overrides: Partial<JwtVerifierOptions> = {}) =>
  Effect.gen(function* () {
    const result = yield* verify(token, overrides)
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) expect(result.left.reason).toMatch(reason)
  })

const verified = (token: string, overrides: Partial<JwtVerifierOptions> = {}) =>
  verify(token, overrides).pipe(Effect.flatMap(Either.match({
    onLeft: (error) => Effect.dieMessage(`expected a principal, got: ${error.reason}`),
    onRight: Effect.succeed
  })))

describe("login JWT verification", () => {
  it.effect("an owner's token yields the org, read + manage, and the subject", () =>
    Effect.gen(function* () {
      const principal = yield* verified(yield* sign(baseClaims))
      expect(principal.orgId).toBe("acme")
      expect([...principal.capabilities].sort()).toEqual(["manage", "read"])
      expect(principal.subject).toBe("jwt:user-1")
    }))

  it.effect("admin gets read + manage, member only read", () =>
    Effect.gen(function* () {
      const admin = yield* verified(yield* sign({ ...baseClaims, role: "admin" }))
      const member = yield* verified(yield* sign({ ...baseClaims, role: "member" }))
      expect([...admin.capabilities].sort()).toEqual(["manage", "read"])
      expect([...member.capabilities]).toEqual(["read"])
    }))

  it.effect("an unknown, missing or non-string role authenticates but grants nothing", () =>
    Effect.gen(function* () {
      for (const role of ["guest", "Owner", "", 7, ["admin"], undefined]) {
        const principal = yield* verified(yield* sign({ ...baseClaims, role }))
        expect(principal.orgId).toBe("acme")
        expect(principal.capabilities.size).toBe(0)
      }
    }))

  it.effect("a token without an org claim, or with an empty, non-string or unstorable one, is rejected", () =>
    Effect.gen(function* () {
      const { org_id: _org, ...withoutOrg } = baseClaims
      yield* expectRejected(yield* sign(withoutOrg), /org_id/)
      yield* expectRejected(yield* sign({ ...baseClaims, org_id: "" }), /org_id/)
      yield* expectRejected(yield* sign({ ...baseClaims, org_id: 42 }), /org_id/)
      // An org the store could not keep names no org: 401, not a 503 from the store later.
      yield* expectRejected(yield* sign({ ...baseClaims, org_id: "acme\u0000" }), /org_id/)
      yield* expectRejected(yield* sign({ ...baseClaims, org_id: "acme\ud800" }), /org_id/)
    }))

  it.effect("org and role claim names are configurable", () =>
    Effect.gen(function* () {
      const token = yield* sign({ ...baseClaims, org_id: undefined, tenant: "globex", roles: "member" })
      const principal = yield* verified(token, { orgClaim: "tenant", roleClaim: "roles" })
      expect(principal.orgId).toBe("globex")
      expect([...principal.capabilities]).toEqual(["read"])
    }))

  it.effect("ES256 and EdDSA tokens are accepted", () =>
    Effect.gen(function* () {
      expect((yield* verified(yield* sign(baseClaims, ec))).orgId).toBe("acme")
      expect((yield* verified(yield* sign(baseClaims, ed))).orgId).toBe("acme")
    }))

  it.effect("an expired token is rejected, even by a second (no clock tolerance on exp)", () =>
    Effect.gen(function* () {
      yield* expectRejected(yield* sign({ ...baseClaims, exp: NOW_SECONDS - 60 }), /ERR_JWT_EXPIRED/)
      yield* expectRejected(yield* sign({ ...baseClaims, exp: NOW_SECONDS - 1 }), /ERR_JWT_EXPIRED/)
      yield* expectRejected(yield* sign({ ...baseClaims, exp: NOW_SECONDS }), /ERR_JWT_EXPIRED/)
      expect((yield* verified(yield* sign({ ...baseClaims, exp: NOW_SECONDS + 1 }))).orgId).toBe("acme")
    }))

  it.effect("nbf is allowed the clock tolerance", () =>
    Effect.gen(function* () {
      expect((yield* verified(yield* sign({ ...baseClaims, nbf: NOW_SECONDS + 2 }))).orgId).toBe("acme")
    }))

  it.effect("a token without exp is rejected", () =>
    Effect.gen(function* () {
      const { exp: _exp, ...withoutExp } = baseClaims
      yield* expectRejected(yield* sign(withoutExp), /"exp"/)
    }))

  it.effect("a token not yet valid (nbf in the future) is rejected", () =>
    Effect.gen(function* () {
      yield* expectRejected(yield* sign({ ...baseClaims, nbf: NOW_SECONDS + 120 }), /nbf/)
    }))

  it.effect("wrong or missing iss and aud are rejected when configured", () =>
    Effect.gen(function* () {
      yield* expectRejected(yield* sign({ ...baseClaims, iss: "https://evil.test" }), /iss/)
      yield* expectRejected(yield* sign({ ...baseClaims, iss: undefined }), /iss/)
      yield* expectRejected(yield* sign({ ...baseClaims, aud: "another-service" }), /aud/)
      yield* expectRejected(yield* sign({ ...baseClaims, aud: undefined }), /aud/)
    }))

  it.effect("iss and aud are not checked when not configured", () =>
    Effect.gen(function* () {
      const token = yield* sign({ ...baseClaims, iss: "https://anyone.test", aud: "anything" })
      const principal = yield* verified(token, { issuer: Option.none(), audience: Option.none() })
      expect(principal.orgId).toBe("acme")
    }))

  it.effect("alg none is rejected", () =>
    Effect.gen(function* () {
      const encode = (value: unknown) => base64url.encode(JSON.stringify(value))
      yield* expectRejected(`${encode({ alg: "none", kid: rsa.kid })}.${encode(baseClaims)}.`, /ERR_JOSE_ALG_NOT_ALLOWED|ERR_JWS_INVALID/)
    }))

  it.effect("HS256 signed with the public key as the secret is rejected (RS/HS confusion)", () =>
    Effect.gen(function* () {
      const token = yield* Effect.promise(() =>
        new SignJWT(baseClaims).setProtectedHeader({ alg: "HS256", kid: rsa.kid }).sign(new TextEncoder().encode(rsa.pem)))
      yield* expectRejected(token, /ERR_JOSE_ALG_NOT_ALLOWED/)
    }))

  it.effect("a token signed by another key under a known kid fails signature verification", () =>
    Effect.gen(function* () {
      yield* expectRejected(yield* sign(baseClaims, impostor), /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/)
    }))

  it.effect("a token whose kid is not in the JWKS is rejected", () =>
    Effect.gen(function* () {
      const stranger = yield* Effect.promise(() => makeKey("not-published", "RS256"))
      yield* expectRejected(yield* sign(baseClaims, stranger), /ERR_JWKS_NO_MATCHING_KEY/)
    }))

  it.effect("garbage is rejected", () =>
    Effect.gen(function* () {
      for (const token of ["", "garbage", "a.b.c", "...", "eyJhbGciOiJSUzI1NiJ9.e30"]) {
        yield* expectRejected(token, /ERR_JW[ST]_INVALID|ERR_JOSE/)
      }
    }))
})
