import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Option } from "effect"
import { AuthConfig } from "./auth-config.js"

const read = (env: Record<string, string>) =>
  Effect.either(Effect.withConfigProvider(AuthConfig, ConfigProvider.fromMap(new Map(Object.entries(env)))))

describe("auth configuration", () => {
  it.effect("with nothing set: no JWKS, no iss/aud check, claims org_id and role", () =>
    Effect.gen(function* () {
      const settings = Either.getOrThrow(yield* read({}))
      expect(Option.isNone(settings.jwksUrl)).toBe(true)
      expect(Option.isNone(settings.issuer)).toBe(true)
      expect(Option.isNone(settings.audience)).toBe(true)
      expect(settings.orgClaim).toBe("org_id")
      expect(settings.roleClaim).toBe("role")
    }))

  it.effect("reads every auth variable", () =>
    Effect.gen(function* () {
      const settings = Either.getOrThrow(yield* read({
        AUTH_JWKS_URL: "https://id.example/.well-known/jwks.json",
        AUTH_JWT_ISSUER: "https://id.example/",
        AUTH_JWT_AUDIENCE: "wa-gateway",
        AUTH_JWT_ORG_CLAIM: "tenant",
        AUTH_JWT_ROLE_CLAIM: "https://example.com/role"
      }))
      expect(Option.map(settings.jwksUrl, String)).toEqual(Option.some("https://id.example/.well-known/jwks.json"))
      expect(settings.issuer).toEqual(Option.some("https://id.example/"))
      expect(settings.audience).toEqual(Option.some("wa-gateway"))
      expect(settings.orgClaim).toBe("tenant")
      expect(settings.roleClaim).toBe("https://example.com/role")
    }))

  it.effect("empty variables count as unset", () =>
    Effect.gen(function* () {
      const settings = Either.getOrThrow(yield* read({ AUTH_JWKS_URL: "", AUTH_JWT_ISSUER: " ", AUTH_JWT_AUDIENCE: "" }))
      expect(Option.isNone(settings.jwksUrl)).toBe(true)
      expect(Option.isNone(settings.issuer)).toBe(true)
      expect(Option.isNone(settings.audience)).toBe(true)
    }))

  it.effect("a JWKS URL that is not http(s) is a configuration error naming the variable", () =>
    Effect.gen(function* () {
      for (const url of ["not a url", "ftp://id.example/jwks.json", "file:///etc/passwd"]) {
        const result = yield* read({ AUTH_JWKS_URL: url })
        expect(Either.isLeft(result)).toBe(true)
        if (Either.isLeft(result)) expect(String(result.left)).toContain("AUTH_JWKS_URL")
      }
    }))
})
