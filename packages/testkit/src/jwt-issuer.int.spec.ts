import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from "jose"
import { startTestJwtIssuer, testJwtIssuer, type TestJwtIssuer } from "./jwt-issuer.js"

const fetchJwks = async (issuer: TestJwtIssuer): Promise<JSONWebKeySet> => {
  const response = await fetch(issuer.jwksUrl)
  expect(response.status).toBe(200)
  return (await response.json()) as JSONWebKeySet
}

/** Verifies against what the issuer serves right now. */
const verify = async (issuer: TestJwtIssuer, token: string) =>
  jwtVerify(token, createLocalJWKSet(await fetchJwks(issuer)), { issuer: issuer.issuer, audience: issuer.audience })

describe("test JWT issuer", () => {
  it.scopedLive("mints RS256 tokens with org, role, iss, aud and exp that verify against its JWKS", () =>
    Effect.gen(function* () {
      const issuer = yield* testJwtIssuer()
      const token = yield* Effect.promise(() => issuer.mint({ org: "acme", role: "admin", sub: "alice" }))
      const { payload, protectedHeader } = yield* Effect.promise(() => verify(issuer, token))
      expect(protectedHeader).toMatchObject({ alg: "RS256", kid: issuer.currentKid })
      expect(payload).toMatchObject({ org_id: "acme", role: "admin", sub: "alice", iss: issuer.issuer, aud: issuer.audience })
      expect(typeof payload.exp).toBe("number")
      expect(issuer.jwksUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//)
    }))

  it.scopedLive("ES256, custom claim names and left-out claims", () =>
    Effect.gen(function* () {
      const issuer = yield* testJwtIssuer({ alg: "ES256", orgClaim: "tenant", roleClaim: "roles" })
      const token = yield* Effect.promise(() =>
        issuer.mint({ org: "acme", role: "member", expiresIn: null, iss: null, aud: null, claims: { extra: 1 } }))
      expect(decodeProtectedHeader(token).alg).toBe("ES256")
      const payload = decodeJwt(token)
      expect(payload).toMatchObject({ tenant: "acme", roles: "member", extra: 1 })
      expect(payload).not.toHaveProperty("exp")
      expect(payload).not.toHaveProperty("iss")
      expect(payload).not.toHaveProperty("aud")
    }))

  it.scopedLive("expiresIn in seconds is relative to now; negative is already expired", () =>
    Effect.gen(function* () {
      const issuer = yield* testJwtIssuer()
      const now = Math.floor(Date.now() / 1000)
      const expired = decodeJwt(yield* Effect.promise(() => issuer.mint({ org: "acme", expiresIn: -60 })))
      expect(expired.exp).toBeLessThan(now)
      const soon = decodeJwt(yield* Effect.promise(() => issuer.mint({ org: "acme", expiresIn: 120 })))
      expect(soon.exp).toBeGreaterThanOrEqual(now + 119)
    }))

  it.scopedLive("unpublished keys sign but are not served until published; rotate switches the signing key", () =>
    Effect.gen(function* () {
      const issuer = yield* testJwtIssuer()
      const first = issuer.currentKid
      const hidden = yield* Effect.promise(() => issuer.addKey({ publish: false, kid: "hidden" }))
      const kids = async () => (await fetchJwks(issuer)).keys.map((key) => key.kid)
      expect(yield* Effect.promise(kids)).toEqual([first])
      issuer.publishKey(hidden)
      expect(yield* Effect.promise(kids)).toEqual([first, "hidden"])
      issuer.unpublishKey(hidden)
      const rotated = yield* Effect.promise(() => issuer.rotate())
      expect(issuer.currentKid).toBe(rotated)
      expect(yield* Effect.promise(kids)).toEqual([first, rotated])
      const token = yield* Effect.promise(() => issuer.mint({ org: "acme" }))
      expect(decodeProtectedHeader(token).kid).toBe(rotated)
      expect(issuer.jwksFetches).toBe(3)
    }))

  it.scopedLive("the attack tokens have alg none and HS256", () =>
    Effect.gen(function* () {
      const issuer = yield* testJwtIssuer()
      const none = issuer.mintUnsigned({ org: "acme", role: "owner" })
      expect(decodeProtectedHeader(none).alg).toBe("none")
      expect(none.endsWith(".")).toBe(true)
      expect(decodeJwt(none)).toMatchObject({ org_id: "acme", role: "owner" })
      const confused = yield* Effect.promise(() => issuer.mintWithPublicKeyAsHmacSecret({ org: "acme" }))
      expect(decodeProtectedHeader(confused)).toMatchObject({ alg: "HS256", kid: issuer.currentKid })
    }))

  it("close stops serving the JWKS", async () => {
    const issuer = await startTestJwtIssuer()
    await fetchJwks(issuer)
    await issuer.close()
    await expect(fetch(issuer.jwksUrl)).rejects.toThrow()
  })
})
