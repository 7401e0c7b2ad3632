import { Context, type Effect, type Redacted, Schema } from "effect"
import type { StoreUnavailable } from "@wa-gateway/domain"
import type { Principal } from "./principal.js"

/** The bearer token was missing, malformed, expired or unverifiable. `reason` is for logs only. */
export class AuthenticationFailed extends Schema.TaggedError<AuthenticationFailed>()("AuthenticationFailed", {
  reason: Schema.String
}) {}

/** Turns a bearer token (login JWT or `wag_` API key) into a principal. */
export class Authenticator extends Context.Tag("wa-gateway/Authenticator")<Authenticator, {
  readonly authenticate: (token: Redacted.Redacted<string>) => Effect.Effect<Principal, AuthenticationFailed | StoreUnavailable>
  /**
   * The principal `authenticate` would answer for this token from memory
   * alone (an API key verified moments ago), without running an effect;
   * `undefined`: ask `authenticate`.
   */
  readonly recall: (token: Redacted.Redacted<string>) => Principal | undefined
}>() {}
