import type { HttpServer } from "@effect/platform"
import type { ServeError } from "@effect/platform/HttpServerError"
import { Duration, Effect, Layer, Option } from "effect"
import { clusterGatewayLayer, productionGatewayLayer, simulatorGatewayLayer, type StoreOptions, Tracing } from "@wa-gateway/adapters"
import type { StoreUnavailable } from "@wa-gateway/domain"
import { ApiKeys } from "./auth/api-keys.js"
import { authenticatorLayer } from "./auth/authenticator-live.js"
import { bootstrapApiKey } from "./auth/bootstrap.js"
import { type InvalidConfiguration, loadServerConfig, type ServerConfig } from "./config.js"
import { ApiLive, jsonLogging, serverLayer, SimulatorApiLive } from "./server.js"
import { shutdownGuard } from "./shutdown-guard.js"
import { otlpTracing } from "./tracing/otlp-tracing.js"

/** API.md: `DATABASE_URL` set → PostgreSQL; unset → the embedded store (PGlite) in `DATA_DIR`. */
export const storeOptions = (config: ServerConfig): StoreOptions =>
  Option.match(config.databaseUrl, {
    onNone: (): StoreOptions => ({ _tag: "pglite", dataDir: config.dataDir }),
    onSome: (url): StoreOptions => ({ _tag: "postgres", url })
  })

/**
 * The whole standalone server for a configuration: store and engine, API keys
 * and JWT auth, the first-start API key, and the HTTP server.
 */
export const standaloneServer = (
  config: ServerConfig
): Layer.Layer<HttpServer.HttpServer, ServeError | StoreUnavailable> => {
  const gateway = {
    store: storeOptions(config),
    supervisor: { resumeConcurrency: config.resumeConcurrency },
    whatsapp: config.whatsapp,
    webhooks: config.webhooks
  }
  // Read when the gateway's layers are built: off, they hand back the untraced services.
  const tracing = Layer.succeed(Tracing, { enabled: Option.isSome(config.tracing) })
  const auth = Layer.merge(
    authenticatorLayer(config.auth),
    // Before listening: with no key and no JWKS nobody could call the API.
    Layer.effectDiscard(bootstrapApiKey({ jwksUrl: config.auth.jwksUrl, dataDir: config.dataDir }))
  ).pipe(Layer.provide(ApiKeys.Live))
  const listen = {
    port: config.port,
    host: config.host,
    ui: config.uiEnabled,
    metrics: { token: config.metricsToken, processMetrics: true },
    tracing: Option.isSome(config.tracing)
  }
  // A cluster runner (CLUSTER_ENABLED; the configuration has checked it has PostgreSQL).
  if (Option.isSome(config.cluster) && Option.isSome(config.databaseUrl)) {
    const cluster = config.cluster.value
    const runner = clusterGatewayLayer({
      ...gateway,
      cluster: {
        databaseUrl: config.databaseUrl.value,
        runnerHost: cluster.runnerHost,
        runnerPort: cluster.runnerPort,
        advertiseHost: cluster.advertiseHost,
        shardLockExpiry: Duration.millis(cluster.shardLockExpiryMs)
      }
    })
    return serverLayer(listen, ApiLive).pipe(Layer.provide(auth), Layer.provide(Layer.provide(runner, tracing)))
  }
  // The /simulator/v1 routes exist only with the simulator engine (404 otherwise).
  return config.engine === "simulator"
    ? serverLayer(listen, SimulatorApiLive).pipe(Layer.provide(auth), Layer.provide(Layer.provide(simulatorGatewayLayer(gateway), tracing)))
    : serverLayer(listen, ApiLive).pipe(Layer.provide(auth), Layer.provide(Layer.provide(productionGatewayLayer(gateway), tracing)))
}

/** Reads the environment, logs as JSON, serves until interrupted (SIGTERM/SIGINT under `NodeRuntime.runMain`). */
export const runStandalone: Effect.Effect<never, InvalidConfiguration | ServeError | StoreUnavailable> = Effect.scoped(Effect.gen(
  function* () {
    const config = yield* loadServerConfig
    yield* shutdownGuard(config.shutdownTimeoutMs)
    return yield* Layer.launch(standaloneServer(config)).pipe(
      Effect.provide(otlpTracing(config.tracing)),
      Effect.provide(jsonLogging(config.logLevel))
    )
  }
))
