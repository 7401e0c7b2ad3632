import { HttpApiMiddleware, HttpApiSecurity, OpenApi } from "@effect/platform"
import { type Context, Effect, Layer, Redacted, Schema } from "effect"
import { Authenticator } from "../auth/authenticator.js"
import { CurrentPrincipal, type Principal } from "../auth/principal.js"
import { Unauthorized, UnauthorizedResponse, Unavailable, UnavailableResponse } from "../errors.js"

/** The bearer scheme of every authenticated route (its OpenAPI description included). */
export const bearer = HttpApiSecurity.bearer.pipe(
  HttpApiSecurity.annotate(OpenApi.Format, "JWT"),
  HttpApiSecurity.annotate(
    OpenApi.Description,
    "A login JWT minted by the frontend (verified against its JWKS), or an API key (`wag_…`) for scripts and services. " +
      "The bearerFormat JWT label describes the person-login case."
  )
)

/**
 * A bearer token's principal. Every failure is 401 `unauthorized` (the
 * reason goes to the log only), except an unreachable store, which is 503
 * `unavailable`.
 */
export const principalOfBearer = (authenticator: Context.Tag.Service<Authenticator>) =>
  (token: Redacted.Redacted<string>): Effect.Effect<Principal, Unauthorized | Unavailable> =>
    Redacted.value(token).trim() === ""
      ? Effect.fail(new Unauthorized({ message: "missing bearer token", details: {} }))
      : authenticator.authenticate(token).pipe(
        Effect.catchTags({
          AuthenticationFailed: (failure) =>
            Effect.zipRight(
              Effect.logInfo("authentication failed", { reason: failure.reason }),
              Effect.fail(new Unauthorized({ message: "invalid or expired token", details: {} }))
            ),
          StoreUnavailable: (failure) =>
            Effect.zipRight(
              Effect.logWarning("authentication: store unavailable", { reason: failure.message }),
              Effect.fail(new Unavailable({ message: "the store is unavailable; retry later", details: {} }))
            )
        })
      )

/** Turns `Authorization: Bearer <token>` into the `CurrentPrincipal` of the request (`principalOfBearer`). */
export class Authentication extends HttpApiMiddleware.Tag<Authentication>()("wa-gateway/Authentication", {
  failure: Schema.Union(UnauthorizedResponse, UnavailableResponse),
  provides: CurrentPrincipal,
  security: { bearer }
}) {
  static readonly Live = Layer.effect(this, Effect.map(Authenticator, (authenticator) => ({ bearer: principalOfBearer(authenticator) })))
}
