import { Effect, Option, Redacted } from "effect"
import { OrgId, type StoreUnavailable } from "@wa-gateway/domain"
import { ApiKeyStore } from "@wa-gateway/adapters"
import { ApiKeys } from "./api-keys.js"
import type { AuthSettings } from "./auth-config.js"

const BOOTSTRAP_ORG = OrgId.make("default")

/**
 * First start: with no API key at all and no JWKS configured nobody could call
 * the API, so create one key for org `default` and print it once.
 * Returns the key when one was created.
 */
export const bootstrapApiKey = (
  settings: Pick<AuthSettings, "jwksUrl">
): Effect.Effect<Option.Option<Redacted.Redacted<string>>, StoreUnavailable, ApiKeys | ApiKeyStore> =>
  Effect.gen(function* () {
    if (Option.isSome(settings.jwksUrl)) return Option.none()
    const store = yield* ApiKeyStore
    if (!(yield* store.isEmpty)) return Option.none()
    const apiKeys = yield* ApiKeys
    const created = yield* apiKeys.create({
      orgId: BOOTSTRAP_ORG,
      capabilities: ["read", "manage"],
      label: "created on first start"
    })
    yield* Effect.logWarning(`created API key for org default: ${Redacted.value(created.key)}`).pipe(
      Effect.annotateLogs({ apiKeyId: created.info.id })
    )
    return Option.some(created.key)
  })
