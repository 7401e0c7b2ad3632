import { Effect, Layer, Option, Redacted } from "effect"
import type { JWTVerifyGetKey } from "jose"
import { ApiKeys, API_KEY_PREFIX } from "./api-keys.js"
import type { AuthSettings } from "./auth-config.js"
import { AuthenticationFailed, Authenticator } from "./authenticator.js"
import { makeJwtVerifier, remoteJwks } from "./jwt.js"

export interface AuthenticatorOptions {
  /** Verification keys instead of fetching `settings.jwksUrl` (tests, embedding). */
  readonly keys?: JWTVerifyGetKey
  /** Minimum time between JWKS refetches triggered by an unknown `kid` (default 30 s). */
  readonly jwksCooldownMs?: number
}

const makeAuthenticator = (settings: AuthSettings, options: AuthenticatorOptions) =>
  Effect.gen(function* () {
    const apiKeys = yield* ApiKeys
    const keys: Option.Option<JWTVerifyGetKey> = options.keys !== undefined
      ? Option.some(options.keys)
      : yield* Effect.transposeOption(Option.map(settings.jwksUrl, (url) =>
        remoteJwks(url, options.jwksCooldownMs === undefined ? {} : { cooldownMs: options.jwksCooldownMs })))
    const jwt = Option.map(keys, (keys) =>
      makeJwtVerifier({
        keys,
        issuer: settings.issuer,
        audience: settings.audience,
        orgClaim: settings.orgClaim,
        roleClaim: settings.roleClaim
      }))

    return Authenticator.of({
      authenticate: (token) => {
        const text = Redacted.value(token)
        if (text.startsWith(API_KEY_PREFIX)) return apiKeys.verify(token)
        return Option.match(jwt, {
          onNone: () => Effect.fail(new AuthenticationFailed({ reason: "not an api key and no AUTH_JWKS_URL is configured" })),
          onSome: (verifier) => verifier.verify(text)
        })
      },
      // Only API keys are remembered; a JWT is verified every time.
      recall: (token) => Redacted.value(token).startsWith(API_KEY_PREFIX) ? apiKeys.recall(token) : undefined
    })
  })

/** The Authenticator for explicit settings. */
export const authenticatorLayer = (settings: AuthSettings, options: AuthenticatorOptions = {}) =>
  Layer.effect(Authenticator, makeAuthenticator(settings, options))
