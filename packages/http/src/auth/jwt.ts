import { Clock, Effect, Either, Option, Schema } from "effect"
import { createLocalJWKSet, errors, jwtVerify, type JWSAlgorithm, type JWTVerifyGetKey } from "jose"
import { OrgId } from "@wa-gateway/domain"
import type { Capability } from "@wa-gateway/adapters"
import { AuthenticationFailed } from "./authenticator.js"
import type { Principal } from "./principal.js"

/** Asymmetric only: an HMAC algorithm would let anyone holding the public key sign tokens. */
export const ALLOWED_JWT_ALGORITHMS: ReadonlyArray<JWSAlgorithm> = [
  "RS256", "RS384", "RS512",
  "PS256", "PS384", "PS512",
  "ES256", "ES384", "ES512",
  "EdDSA"
]

/**
 * How long after a refetch caused by an unknown `kid` another unknown `kid` is
 * answered from the cache. API.md promises a new key is accepted within 30 s.
 */
export const DEFAULT_JWKS_COOLDOWN_MS = 30_000
/** A cached JWKS is refetched after this age even when every `kid` is known. */
export const DEFAULT_JWKS_MAX_AGE_MS = 10 * 60_000
/** Clock skew allowed on `nbf`. `exp` gets none: an expired token is 401 (API.md), even by a second. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5

export interface JwtVerifierOptions {
  /** Where verification keys come from: `remoteJwks(url)` in production, a local JWKS in tests. */
  readonly keys: JWTVerifyGetKey
  readonly issuer: Option.Option<string>
  readonly audience: Option.Option<string>
  readonly orgClaim: string
  readonly roleClaim: string
  readonly clockToleranceSeconds?: number
}

export interface JwtVerifier {
  readonly verify: (token: string) => Effect.Effect<Principal, AuthenticationFailed>
}

/** The JWKS document's shape; jose checks each key. */
const JwksDocument = Schema.Struct({
  keys: Schema.mutable(Schema.Array(Schema.Record({ key: Schema.String, value: Schema.Unknown })))
})
const decodeJwks = (body: unknown) => {
  const decoded = Schema.decodeUnknownEither(JwksDocument)(body)
  if (Either.isLeft(decoded)) throw new errors.JWKSInvalid("the JWKS is not a JSON Web Key Set")
  return decoded.right
}

/**
 * A cached remote JWKS. A token whose `kid` is not in the cached set refetches
 * it once (issue 3, DESIGN §7), at most once per cooldown: the cooldown counts
 * from the last refetch an unknown `kid` caused, not from the first fetch, so
 * a key published since is found on its first use, and a flood of made-up
 * kids costs one fetch per cooldown. A new key is therefore accepted at most
 * `cooldownMs` after it is published (API.md: 30 s).
 */
export const remoteJwks = (
  url: URL,
  options: { readonly cooldownMs?: number; readonly maxAgeMs?: number } = {}
): Effect.Effect<JWTVerifyGetKey> => Effect.clockWith((clock) => Effect.sync(() => remoteJwksOn(clock, url, options)))

const remoteJwksOn = (
  clock: Clock.Clock,
  url: URL,
  options: { readonly cooldownMs?: number; readonly maxAgeMs?: number }
): JWTVerifyGetKey => {
  // jose calls the key function outside Effect: read the Clock the service was built with.
  const now = () => clock.unsafeCurrentTimeMillis()
  const cooldownMs = options.cooldownMs ?? DEFAULT_JWKS_COOLDOWN_MS
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_JWKS_MAX_AGE_MS
  let cached: { readonly keys: JWTVerifyGetKey; readonly fetchedAt: number } | undefined
  let inFlight: Promise<JWTVerifyGetKey> | undefined
  let lastUnknownKidRefetch = Number.NEGATIVE_INFINITY

  const load = async (): Promise<JWTVerifyGetKey> => {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000), headers: { accept: "application/json" } })
    if (!response.ok) throw new errors.JOSEError(`JWKS fetch failed with HTTP ${response.status}`)
    const jwks = decodeJwks(await response.json())
    const keys = createLocalJWKSet(jwks)
    cached = { keys, fetchedAt: now() }
    return keys
  }
  // Concurrent requests share one fetch.
  const reload = (): Promise<JWTVerifyGetKey> => (inFlight ??= load().finally(() => { inFlight = undefined }))

  return async (header, token) => {
    const keys = cached === undefined || now() - cached.fetchedAt > maxAgeMs ? await reload() : cached.keys
    try {
      return await keys(header, token)
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || now() - lastUnknownKidRefetch < cooldownMs) throw error
      lastUnknownKidRefetch = now()
      return (await reload())(header, token)
    }
  }
}

const Role = Schema.Literal("owner", "admin", "member")
type Role = typeof Role.Type

const capabilitiesOf: Record<Role, ReadonlyArray<Capability>> = {
  owner: ["read", "manage"],
  admin: ["read", "manage"],
  member: ["read"]
}

const Subject = Schema.String

/** Any role we do not know grants nothing: the caller is authenticated but gets 403 everywhere. */
const capabilitiesForRole = (role: unknown): ReadonlySet<Capability> =>
  new Set(Option.match(Schema.decodeUnknownOption(Role)(role), { onNone: () => [], onSome: (r) => capabilitiesOf[r] }))

const failureReason = (error: unknown): string =>
  error instanceof errors.JOSEError
    ? `${error.code}: ${error.message}`
    : `jwt verification failed: ${error instanceof Error ? error.message : String(error)}`

export const makeJwtVerifier = (options: JwtVerifierOptions): JwtVerifier => {
  const decodeOrg = Schema.decodeUnknown(OrgId)
  const verify = (token: string): Effect.Effect<Principal, AuthenticationFailed> =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const { payload } = yield* Effect.tryPromise({
        try: () =>
          jwtVerify(token, options.keys, {
            algorithms: [...ALLOWED_JWT_ALGORITHMS],
            requiredClaims: ["exp"],
            clockTolerance: options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
            currentDate: new Date(now),
            ...Option.match(options.issuer, { onNone: () => ({}), onSome: (issuer) => ({ issuer }) }),
            ...Option.match(options.audience, { onNone: () => ({}), onSome: (audience) => ({ audience }) })
          }),
        catch: (error) => new AuthenticationFailed({ reason: failureReason(error) })
      })
      // jose applies the tolerance to `exp` too; `exp` is required, so jose has checked it is a number.
      if (typeof payload.exp === "number" && payload.exp <= Math.floor(now / 1000)) {
        return yield* new AuthenticationFailed({ reason: "ERR_JWT_EXPIRED: \"exp\" claim timestamp check failed" })
      }
      const orgId = yield* decodeOrg(payload[options.orgClaim]).pipe(
        Effect.mapError(() => new AuthenticationFailed({ reason: `jwt claim "${options.orgClaim}" missing or not an org id` }))
      )
      const subject = Option.getOrElse(Schema.decodeUnknownOption(Subject)(payload.sub), () => "unknown")
      return { orgId, capabilities: capabilitiesForRole(payload[options.roleClaim]), subject: `jwt:${subject}` }
    })
  return { verify }
}
