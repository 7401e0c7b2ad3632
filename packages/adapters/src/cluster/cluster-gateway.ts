import { RunnerAddress, ShardingConfig, SqlMessageStorage, SqlRunnerStorage } from "@effect/cluster"
import { NodeClusterSocket } from "@effect/platform-node"
import { PgClient } from "@effect/sql-pg"
import { SessionService, StoreUnavailable } from "@wa-gateway/domain"
import { Cause, Duration, Layer, Option, Redacted, Schedule } from "effect"
import { type BaileysEngineOptions, baileysEngineLayer } from "../engine/baileys/baileys-engine.js"
import { baileysSocketFactory } from "../engine/baileys/socket-factory.js"
import { realWhatsApp, type WhatsAppServer } from "../engine/baileys/whatsapp-server.js"
import { SessionSupervisor, type SupervisorOptions } from "../engine/session-supervisor.js"
import type { GatewayServices } from "../gateway/layer.js"
import { GatewayOn } from "../gateway/operations.js"
import { EngineMetricsLive } from "../observability/engine-metrics.js"
import { GatewayMetrics } from "../observability/gateway-metrics.js"
import { InstrumentedEventStore } from "../observability/instrumented-event-store.js"
import { TracedSessionEngine } from "../observability/traced-engine.js"
import { TracedEventStore } from "../observability/traced-event-store.js"
import { SqlDatabase } from "../store/sql-database.js"
import { SqlStores } from "../store/stores.js"
import { type DispatcherOptions, WebhookDispatcher } from "../webhooks/dispatcher.js"
import { EventFeed } from "../webhooks/event-feed.js"
import { SignallingLogs } from "../webhooks/signalling-stores.js"
import { Wakeups } from "../webhooks/wakeups.js"
import { clusterEngine, fencedAdmission } from "./cluster-engine.js"
import { ClusterPlacement } from "./cluster-placement.js"
import { drainableRunnerStorage, handOverSettings, withHandOver } from "./hand-over.js"
import { reconciler } from "./reconciler.js"
import { SessionFences } from "./session-fences.js"
import { WaSessionLive } from "./wa-session-handlers.js"

export interface ClusterOptions {
  /** The PostgreSQL every runner shares (events, auth state, and the cluster's own tables). */
  readonly databaseUrl: string
  readonly schema?: string | undefined
  /** Where this runner listens for the others (`RUNNER_HOST`, `RUNNER_PORT`). */
  readonly runnerHost: string
  readonly runnerPort: number
  /** How the others reach it (`RUNNER_ADVERTISE_HOST`). */
  readonly advertiseHost: string
  /** How long a runner that stopped refreshing keeps its shards (`CLUSTER_SHARD_LOCK_EXPIRY_MS`). */
  readonly shardLockExpiry: Duration.Duration
  /** How often the reconciler makes sure every paired session runs somewhere. */
  readonly reconcileInterval?: Duration.DurationInput | undefined
}

export interface ClusterGatewayOptions {
  readonly cluster: ClusterOptions
  readonly supervisor?: SupervisorOptions | undefined
  readonly webhooks?: DispatcherOptions | undefined
  readonly whatsapp?: WhatsAppServer | undefined
  readonly engine?: BaileysEngineOptions | undefined
}

/** The cluster's tables beside the gateway's, by prefix (one deployment per database: its advisory lock ids ignore it). */
const TABLE_PREFIX = "wa_cluster"

/**
 * Sharding over the shared PostgreSQL: shard locks in a table (not
 * PostgreSQL advisory locks, which a paused process would hold for as long
 * as its connection lives), expiring after `shardLockExpiry`; runners pinged
 * for health; the entities' persisted messages polled often, so a moved
 * session's entity starts within a second or two of its shard's arrival.
 */
const sharding = (options: ClusterOptions) => {
  // A quarter of the expiry. A refresh that cannot reach the database hangs until it is cut off, one
  // interval later (measured: the drill's database cut): a runner that lost its database learns it at
  // most two intervals after its last refresh, and its sockets then have half the expiry (5 s at 10 s)
  // to close before another runner may take its shards. A third would leave a third.
  const refresh = Duration.max(Duration.seconds(1), Duration.millis(Math.floor(Duration.toMillis(options.shardLockExpiry) / 4)))
  const config = {
    runnerAddress: RunnerAddressOf(options.advertiseHost, options.runnerPort),
    runnerListenAddress: RunnerAddressOf(options.runnerHost, options.runnerPort),
    shardLockExpiration: options.shardLockExpiry,
    shardLockRefreshInterval: refresh,
    shardLockDisableAdvisory: true,
    entityMessagePollInterval: Duration.seconds(1),
    // How soon the others see a runner leave or arrive: a hand-over waits on it once.
    refreshAssignmentsInterval: Duration.millis(250),
    ...handOverSettings,
    runnerHealthCheckInterval: Duration.seconds(2),
    entityTerminationTimeout: Duration.seconds(5)
  }
  const sql = PgClient.layer({ url: Redacted.make(options.databaseUrl), maxConnections: 4, applicationName: "wa-gateway cluster" })
  // Runners starting at once race on creating the cluster's tables (a defect inside the storage
  // layers): the loser starts over after a moment, when the tables are there.
  const runnerStorage = Layer.provide(drainableRunnerStorage, SqlRunnerStorage.layerWith({ prefix: TABLE_PREFIX }))
  const storage = Layer.merge(SqlMessageStorage.layerWith({ prefix: TABLE_PREFIX }), runnerStorage).pipe(
    Layer.provide(ShardingConfig.layer(config)),
    Layer.provide(sql),
    Layer.catchAllCause((cause) => Layer.fail(new StoreUnavailable({ message: `the cluster's storage could not start: ${Cause.pretty(cause)}` }))),
    Layer.retry(Schedule.spaced("500 millis").pipe(Schedule.jittered, Schedule.intersect(Schedule.recurs(10))))
  )
  return NodeClusterSocket.layer({ storage: "byo", runnerHealth: "ping", shardingConfig: config }).pipe(
    Layer.provideMerge(storage),
    Layer.mapError((error) => new StoreUnavailable({ message: `the cluster runner could not start: ${String(error)}` }))
  )
}

const RunnerAddressOf = (host: string, port: number) => Option.some(RunnerAddress.make(host, port))

/**
 * A whole gateway as one runner of a cluster (DESIGN §10): the stores on
 * the shared PostgreSQL with fenced writes, the Baileys engine whose sockets
 * open only for sessions this runner owns, each session's runtime in its
 * `WaSession` entity, commands sent to the owner, the reconciler singleton.
 */
export const clusterGatewayLayer = (options: ClusterGatewayOptions): Layer.Layer<GatewayServices, StoreUnavailable> => {
  const { cluster } = options
  const runner = `${cluster.advertiseHost}:${cluster.runnerPort}`
  const database = SqlDatabase.postgres({ url: cluster.databaseUrl, schema: cluster.schema })
  const fences = SessionFences.layer(runner).pipe(Layer.provide(database))
  const wakeups = Wakeups.postgres({ url: cluster.databaseUrl, schema: cluster.schema })
  const base = Layer.merge(SqlStores, wakeups).pipe(Layer.provide(database), Layer.provideMerge(fences), Layer.provideMerge(database))
  const stores = Layer.merge(base, Layer.provide(SignallingLogs, base))
  const measured = Layer.provideMerge(InstrumentedEventStore, Layer.provideMerge(GatewayMetrics.layer, stores))
  // With tracing on (the `Tracing` reference), appends and engine operations are spans, as in one process.
  const domain = Layer.provideMerge(SessionService.Live, Layer.provideMerge(TracedEventStore, measured))
  const engine = Layer.provideMerge(TracedSessionEngine, clusterEngine.pipe(
    Layer.provide(baileysEngineLayer(options.engine)),
    Layer.provide(baileysSocketFactory(options.whatsapp ?? realWhatsApp))
  ))
  // The engine (before a socket) and the supervisor (before a connection record) both ask the admission.
  const withEngine = Layer.provideMerge(engine, Layer.provideMerge(fencedAdmission, domain))
  const supervised = Layer.provideMerge(SessionSupervisor.layer({ ...options.supervisor, resumeOnBoot: false }), withEngine)
  const eventsOut = Layer.provideMerge(
    Layer.merge(EventFeed.layer({ pollInterval: options.webhooks?.pollInterval }), WebhookDispatcher.layer(options.webhooks)),
    supervised
  )
  // The entities stop first, then the runner lets go of its shard locks, then the rest of the runner stops.
  const clustered = withHandOver(
    Layer.mergeAll(ClusterPlacement, WaSessionLive, reconciler(cluster.reconcileInterval ?? Duration.seconds(10))),
    Layer.merge(eventsOut, sharding(cluster)),
    RunnerAddress.make(cluster.advertiseHost, cluster.runnerPort)
  )
  return Layer.provideMerge(Layer.merge(Layer.provide(GatewayOn, clustered), EngineMetricsLive), eventsOut)
}
