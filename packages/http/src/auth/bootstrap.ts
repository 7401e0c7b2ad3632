import { mkdir, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Effect, Option, Redacted } from "effect"
import { OrgId, type StoreUnavailable } from "@wa-gateway/domain"
import { ApiKeyStore } from "@wa-gateway/adapters"
import { ApiKeys } from "./api-keys.js"
import type { AuthSettings } from "./auth-config.js"

const BOOTSTRAP_ORG = OrgId.make("default")

/** The file in `DATA_DIR` that holds the first-start key. */
export const FIRST_API_KEY_FILE = "first-api-key"

/**
 * Owner-only, created afresh: removing first means a file or link left there
 * by someone else is never written through ("wx" refuses an existing path).
 */
const writeOwnerOnly = (path: string, text: string) =>
  Effect.tryPromise(async () => {
    await rm(path, { force: true })
    await writeFile(path, text, { flag: "wx", mode: 0o600 })
  })

/**
 * First start: with no API key at all and no JWKS configured nobody could call
 * the API, so create one key for org `default`. Keys never go into a log line
 * (log collectors keep lines for months), so the key is written to
 * `<dataDir>/first-api-key` (mode 0600) and the log says where. Only if that
 * file cannot be written does the key go to stderr, as a banner outside the
 * logger, so the operator still gets it once.
 * Returns the key when one was created.
 */
export const bootstrapApiKey = (
  settings: Pick<AuthSettings, "jwksUrl"> & { readonly dataDir: string }
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
    const path = join(settings.dataDir, FIRST_API_KEY_FILE)
    yield* Effect.tryPromise(() => mkdir(settings.dataDir, { recursive: true, mode: 0o700 })).pipe(
      Effect.zipRight(writeOwnerOnly(path, `${Redacted.value(created.key)}\n`)),
      Effect.matchEffect({
        onSuccess: () =>
          Effect.logWarning(`created an API key for org default, written to ${path} (readable by this user only); read it, then delete the file`),
        onFailure: (error) =>
          Effect.zipRight(
            Effect.sync(() => process.stderr.write(`\nAPI key for org default (shown once): ${Redacted.value(created.key)}\n\n`)),
            Effect.logWarning(`created an API key for org default; ${path} could not be written (${String(error.cause)}), so it was printed once on stderr, outside the log`)
          )
      }),
      Effect.annotateLogs({ apiKeyId: created.info.id })
    )
    return Option.some(created.key)
  })
