import { Args, Command, Options, ValidationError } from "@effect/cli"
import { Cause, Console, Effect, Layer, Option, Redacted, Schema } from "effect"
import { OrgId, type StoreUnavailable } from "@wa-gateway/domain"
import { ApiKeyStoreSql, migrationNames, SqlDatabase, sqlDatabaseLayer } from "@wa-gateway/adapters"
import { ApiKeys, type ApiKeyInfo } from "../auth/api-keys.js"
import { InvalidConfiguration, loadServerConfig } from "../config.js"
import { runStandalone, storeOptions } from "../standalone.js"

/** The server's own store selection (API.md "Configuration"), so keys land where `serve` looks. */
const sqlDatabaseFromEnv: Layer.Layer<SqlDatabase, InvalidConfiguration | StoreUnavailable> = Layer.unwrapEffect(
  Effect.map(loadServerConfig, (config): Layer.Layer<SqlDatabase, InvalidConfiguration | StoreUnavailable> => {
    const store = storeOptions(config)
    return store._tag === "memory"
      ? Layer.fail(new InvalidConfiguration({ message: "the in-memory store keeps no API keys across runs" }))
      : sqlDatabaseLayer(store)
  })
)

const apiKeysFromEnv = ApiKeys.Live.pipe(Layer.provide(ApiKeyStoreSql), Layer.provide(sqlDatabaseFromEnv))

const orgOption = Options.text("org").pipe(
  Options.withSchema(OrgId),
  Options.withDescription("the org the keys belong to")
)

const describeKey = (key: ApiKeyInfo): string =>
  [
    key.id,
    `capabilities=${key.capabilities.join(",")}`,
    `created=${key.createdAt.toISOString()}`,
    `last-used=${key.lastUsedAt?.toISOString() ?? "never"}`,
    key.revokedAt === null ? "active" : `revoked=${key.revokedAt.toISOString()}`,
    ...(key.label === null ? [] : [`label=${JSON.stringify(key.label)}`])
  ].join("  ")

const create = Command.make(
  "create",
  {
    org: orgOption,
    capabilities: Options.choice("capability", ["read", "manage"]).pipe(
      Options.atLeast(1),
      Options.withDescription("read and/or manage; repeat the option for both")
    ),
    label: Options.text("label").pipe(Options.optional, Options.withDescription("a note for humans"))
  },
  ({ org, capabilities, label }) =>
    Effect.gen(function* () {
      const apiKeys = yield* ApiKeys
      const created = yield* apiKeys.create({ orgId: org, capabilities, label: Option.getOrNull(label) })
      yield* Console.log(`created ${describeKey(created.info)}`)
      yield* Console.log("the key is shown only this once:")
      // Last line, alone: scripts take it with `tail -n 1`.
      yield* Console.log(Redacted.value(created.key))
    }).pipe(Effect.provide(apiKeysFromEnv))
).pipe(Command.withDescription("create an API key and print it once, as the last line"))

const list = Command.make("list", { org: orgOption }, ({ org }) =>
  Effect.gen(function* () {
    const keys = yield* Effect.flatMap(ApiKeys, (apiKeys) => apiKeys.list(org))
    if (keys.length === 0) return yield* Console.log(`no API keys for org ${org}`)
    for (const key of keys) yield* Console.log(describeKey(key))
  }).pipe(Effect.provide(apiKeysFromEnv))
).pipe(Command.withDescription("list an org's API keys (never the secrets)"))

class RevokeFailed extends Schema.TaggedError<RevokeFailed>()("RevokeFailed", { id: Schema.String }) {}

const revoke = Command.make("revoke", { id: Args.text({ name: "id" }).pipe(Args.withDescription("the key id (key_…)")) }, ({ id }) =>
  Effect.gen(function* () {
    const revoked = yield* Effect.flatMap(ApiKeys, (apiKeys) => apiKeys.revoke(id))
    if (!revoked) return yield* new RevokeFailed({ id })
    yield* Console.log(`revoked ${id}`)
  }).pipe(Effect.provide(apiKeysFromEnv))
).pipe(Command.withDescription("revoke an API key; requests with it get 401 from then on"))

const apiKeys = Command.make("api-keys").pipe(
  Command.withDescription("manage API keys (embedded PGlite store: stop the server first, PGlite serves one process at a time)"),
  Command.withSubcommands([create, list, revoke])
)

const migrate = Command.make("migrate", {}, () =>
  Effect.gen(function* () {
    const { engine } = yield* SqlDatabase
    yield* Console.log(`${engine} database is up to date (${migrationNames.length} migrations: ${migrationNames.join(", ")})`)
  }).pipe(Effect.provide(sqlDatabaseFromEnv))
).pipe(Command.withDescription("create or update the database schema"))

const serve = Command.make("serve", {}, () => runStandalone).pipe(
  Command.withDescription("run the HTTP server (configuration from the environment, see API.md)")
)

const gateway = Command.make("gateway").pipe(
  Command.withDescription("wa-gateway: a multi-tenant WhatsApp session gateway"),
  Command.withSubcommands([serve, apiKeys, migrate])
)

const run = Command.run(gateway, { name: "gateway", version: "0.1.0" })

/** Already told the user what went wrong; only the exit code is left to set. */
export class Reported extends Schema.TaggedError<Reported>()("Reported", {}) {}

const report = (message: string) => Effect.zipRight(Console.error(message), Effect.fail(new Reported()))

/**
 * The `gateway` CLI for `argv` (as `process.argv`: node, script, arguments).
 * Every expected failure is printed for a person and becomes `Reported`.
 */
export const gatewayCli = (argv: ReadonlyArray<string>) =>
  run(argv).pipe(
    Effect.catchTags({
      RevokeFailed: (error) => report(`no active API key with id ${error.id}`),
      StoreUnavailable: (error) => report(`store unavailable: ${error.message}`),
      InvalidConfiguration: (error) => report(error.message),
      ServeError: (error) => report(`cannot listen: ${String(error.cause)}`)
    }),
    // @effect/cli has already printed what was wrong with the arguments.
    Effect.catchIf(ValidationError.isValidationError, () => Effect.fail(new Reported())),
    Effect.tapDefect((defect) => Console.error(Cause.pretty(Cause.die(defect))))
  )
