import { Config, ConfigError, Either, Option } from "effect"
import { optionalText } from "../optional-text.js"

/** The auth variables of API.md "Configuration". */
export interface AuthSettings {
  /** Unset → login JWTs are not accepted, only API keys. */
  readonly jwksUrl: Option.Option<URL>
  readonly issuer: Option.Option<string>
  readonly audience: Option.Option<string>
  readonly orgClaim: string
  readonly roleClaim: string
}

const jwksUrl: Config.Config<Option.Option<URL>> = optionalText("AUTH_JWKS_URL").pipe(
  Config.mapOrFail((text) => {
    if (Option.isNone(text)) return Either.right(Option.none<URL>())
    const url = URL.canParse(text.value) ? new URL(text.value) : null
    return url !== null && (url.protocol === "http:" || url.protocol === "https:")
      ? Either.right(Option.some(url))
      : Either.left(ConfigError.InvalidData(["AUTH_JWKS_URL"], "must be an http(s) URL"))
  })
)

export const AuthConfig: Config.Config<AuthSettings> = Config.all({
  jwksUrl,
  issuer: optionalText("AUTH_JWT_ISSUER"),
  audience: optionalText("AUTH_JWT_AUDIENCE"),
  orgClaim: Config.string("AUTH_JWT_ORG_CLAIM").pipe(Config.withDefault("org_id")),
  roleClaim: Config.string("AUTH_JWT_ROLE_CLAIM").pipe(Config.withDefault("role"))
})
