import { hostname } from "node:os"
import { Config, ConfigError, Effect, Either, LogLevel, Option, Redacted, Schema } from "effect"
import { DEFAULT_RESUME_CONCURRENCY, type EngineName, parseCertRoot, parseServerUrl, WebhookConfig, type WhatsAppServer } from "@wa-gateway/adapters"
import { AuthConfig, type AuthSettings } from "./auth/auth-config.js"
import { logLevelConfig } from "./log-level.js"
import { optionalText } from "./optional-text.js"
import { TracingConfig, type TracingSettings } from "./tracing/tracing-config.js"

/** The environment table of spec/API.md "Configuration". */
export interface ServerConfig {
  readonly port: number
  readonly host: string
  /** Set → PostgreSQL; unset → the embedded store in `dataDir`. */
  readonly databaseUrl: Option.Option<string>
  readonly dataDir: string
  readonly engine: EngineName
  readonly logLevel: LogLevel.LogLevel
  /** How long a SIGTERM may take before the process exits anyway (`SHUTDOWN_TIMEOUT_MS`). */
  readonly shutdownTimeoutMs: number
  /** Paired sessions reconnected at once on boot (`WA_RESUME_CONCURRENCY`). */
  readonly resumeConcurrency: number
  /** The `baileys` engine's server: `WA_SERVER_URL`, `WA_SERVER_CERT_ROOT`, `WA_VERIFY_SERVER_CERT`. */
  readonly whatsapp: WhatsAppServer
  readonly auth: AuthSettings
  /** Serve the dashboard under `/ui` (`UI_ENABLED`). */
  readonly uiEnabled: boolean
  /** `METRICS_TOKEN`: the bearer token `/metrics` needs; unset → `/metrics` is open. */
  readonly metricsToken: Option.Option<Redacted.Redacted<string>>
  /** `WEBHOOK_RETRY_SCHEDULE`, `WEBHOOK_BLOCK_PRIVATE_NETWORKS` (spec/EVENTS.md). */
  readonly webhooks: Config.Config.Success<typeof WebhookConfig>
  /** `OTEL_EXPORTER_OTLP_ENDPOINT` and friends; none → tracing off. */
  readonly tracing: Option.Option<TracingSettings>
  /** `CLUSTER_ENABLED` and the runner's transport: several processes share the sessions (DESIGN §10). */
  readonly cluster: Option.Option<ClusterConfig>
}

export interface ClusterConfig {
  readonly runnerHost: string
  readonly runnerPort: number
  readonly advertiseHost: string
  readonly shardLockExpiryMs: number
}

const databaseUrl: Config.Config<Option.Option<string>> = optionalText("DATABASE_URL").pipe(
  Config.mapOrFail((url) =>
    Option.isNone(url) || /^postgres(ql)?:\/\//.test(url.value)
      ? Either.right(url)
      : Either.left(ConfigError.InvalidData(["DATABASE_URL"], "must be a postgres:// or postgresql:// URL"))
  )
)

/** An optional variable checked by `parse`; the reason names what it must be. */
const optionalParsed = <A>(name: string, parse: (text: string) => Either.Either<A, string>): Config.Config<Option.Option<A>> =>
  optionalText(name).pipe(
    Config.mapOrFail((text) =>
      Option.match(text, {
        onNone: () => Either.right(Option.none()),
        onSome: (value) => Either.mapBoth(parse(value), { onLeft: (why) => ConfigError.InvalidData([name], why), onRight: Option.some })
      }))
  )

/** API.md "Engine configuration". */
const WhatsAppServerConfig: Config.Config<WhatsAppServer> = Config.all({
  serverUrl: optionalParsed("WA_SERVER_URL", parseServerUrl),
  certRoot: optionalParsed("WA_SERVER_CERT_ROOT", parseCertRoot),
  verifyServerCert: Config.boolean("WA_VERIFY_SERVER_CERT").pipe(Config.withDefault(true))
})

/** Off by default: one process, exactly as without it. */
const ClusterSettings: Config.Config<Option.Option<ClusterConfig>> = Config.all({
  enabled: Config.boolean("CLUSTER_ENABLED").pipe(Config.withDefault(false)),
  runnerHost: Config.nonEmptyString("RUNNER_HOST").pipe(Config.withDefault("0.0.0.0")),
  runnerPort: Config.port("RUNNER_PORT").pipe(Config.withDefault(34431)),
  advertiseHost: Config.nonEmptyString("RUNNER_ADVERTISE_HOST").pipe(Config.withDefault(hostname())),
  shardLockExpiryMs: Config.integer("CLUSTER_SHARD_LOCK_EXPIRY_MS").pipe(
    Config.validate({ message: "must be an integer from 3000 to 120000", validation: (n) => n >= 3000 && n <= 120_000 }),
    // Measured with 300 sessions on 3 runners (npm run drill -- cluster): 10 s keeps a crash's failover p99 near 15 s, under the 20 s target.
    Config.withDefault(10_000)
  )
}).pipe(Config.map(({ enabled, ...cluster }) => enabled ? Option.some(cluster) : Option.none()))

const ServerFields = Config.all({
  port: Config.port("PORT").pipe(Config.withDefault(8080)),
  host: Config.nonEmptyString("HOST").pipe(Config.withDefault("0.0.0.0")),
  databaseUrl,
  dataDir: Config.nonEmptyString("DATA_DIR").pipe(Config.withDefault("./data")),
  engine: Config.literal("baileys", "simulator")("WA_ENGINE").pipe(Config.withDefault("baileys" as const)),
  logLevel: logLevelConfig("LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info)),
  shutdownTimeoutMs: Config.integer("SHUTDOWN_TIMEOUT_MS").pipe(
    Config.validate({ message: "must be an integer from 1000 to 600000", validation: (n) => n >= 1000 && n <= 600_000 }),
    Config.withDefault(15_000)
  ),
  resumeConcurrency: Config.integer("WA_RESUME_CONCURRENCY").pipe(
    Config.validate({ message: "must be an integer from 1 to 1000", validation: (n) => n >= 1 && n <= 1000 }),
    Config.withDefault(DEFAULT_RESUME_CONCURRENCY)
  ),
  whatsapp: WhatsAppServerConfig,
  auth: AuthConfig,
  webhooks: WebhookConfig,
  uiEnabled: Config.boolean("UI_ENABLED").pipe(Config.withDefault(true)),
  metricsToken: optionalText("METRICS_TOKEN").pipe(Config.map(Option.map(Redacted.make))),
  tracing: TracingConfig,
  cluster: ClusterSettings
})

export const ServerConfig: Config.Config<ServerConfig> = ServerFields.pipe(
  Config.mapOrFail((config) =>
    Option.isSome(config.cluster) && Option.isNone(config.databaseUrl)
      ? Either.left(ConfigError.InvalidData(["CLUSTER_ENABLED"], "needs DATABASE_URL (PostgreSQL): the embedded store serves one process only"))
      : Option.isSome(config.cluster) && config.engine === "simulator"
      ? Either.left(ConfigError.InvalidData(["CLUSTER_ENABLED"], "needs WA_ENGINE=baileys: the simulator's phones live in one process"))
      : Either.right(config)
  )
)

/** The configuration could not be read; `message` says which variable and why. */
export class InvalidConfiguration extends Schema.TaggedError<InvalidConfiguration>()("InvalidConfiguration", {
  message: Schema.String
}) {}

/** Reads and validates the environment once, at start. */
export const loadServerConfig: Effect.Effect<ServerConfig, InvalidConfiguration> = Effect.mapError(
  ServerConfig,
  (error) => new InvalidConfiguration({ message: `invalid configuration: ${describe(error)}` })
)

const describe = (error: ConfigError.ConfigError): string =>
  ConfigError.reduceWithContext(error, undefined, {
    andCase: (_, left, right) => `${left}; ${right}`,
    orCase: (_, left, right) => `${left}; or ${right}`,
    invalidDataCase: (_, path, message) => `${path.join(".")}: ${message}`,
    missingDataCase: (_, path, message) => `${path.join(".")}: ${message}`,
    sourceUnavailableCase: (_, path, message) => `${path.join(".")}: ${message}`,
    unsupportedCase: (_, path, message) => `${path.join(".")}: ${message}`
  })
