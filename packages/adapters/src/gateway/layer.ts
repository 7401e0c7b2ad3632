import { Layer } from "effect"
import { type SessionEngine, SessionService, type StoreUnavailable } from "@wa-gateway/domain"
import { type BaileysEngineOptions, baileysEngineLayer } from "../engine/baileys/baileys-engine.js"
import { baileysSocketFactory } from "../engine/baileys/socket-factory.js"
import { realWhatsApp, type WhatsAppServer } from "../engine/baileys/whatsapp-server.js"
import { SessionSupervisor, type SupervisorOptions } from "../engine/session-supervisor.js"
import type { SimulatedPhone } from "../engine/simulator/simulated-phone.js"
import { type SimulatorOptions, simulatorEngineLayer } from "../engine/simulator/simulator-engine.js"
import type { AuthStateStore } from "../store/auth-state-store.js"
import { SqlDatabase } from "../store/sql-database.js"
import { MemoryStores, SqlStores, type Stores } from "../store/stores.js"
import { type DispatcherOptions, WebhookDispatcher } from "../webhooks/dispatcher.js"
import { EventFeed } from "../webhooks/event-feed.js"
import { SignallingLogs } from "../webhooks/signalling-stores.js"
import { Wakeups } from "../webhooks/wakeups.js"
import type { Gateway } from "./gateway.js"
import { EngineMetricsLive } from "../observability/engine-metrics.js"
import { GatewayMetrics } from "../observability/gateway-metrics.js"
import { InstrumentedEventStore } from "../observability/instrumented-event-store.js"
import { TracedSessionEngine } from "../observability/traced-engine.js"
import { TracedEventStore } from "../observability/traced-event-store.js"
import { GatewayLive } from "./operations.js"
import { SimulatedPhoneGateway } from "./simulated-phone-gateway.js"

// The composition root: which store, which engine, and the gateway over them.

/** Where the gateway keeps its events, read model, auth state and API keys. */
export type StoreOptions =
  | { readonly _tag: "memory" }
  | { readonly _tag: "postgres"; readonly url?: string | undefined; readonly schema?: string | undefined }
  | { readonly _tag: "pglite"; readonly dataDir?: string | undefined; readonly schema?: string | undefined }

/** `baileys`: real WhatsApp (or the test server of `WA_SERVER_URL`); `simulator`: no network. */
export type EngineName = "simulator" | "baileys"

export interface GatewayOptions {
  readonly store: StoreOptions
  readonly supervisor?: SupervisorOptions | undefined
  readonly webhooks?: DispatcherOptions | undefined
}

/** Everything a gateway layer provides: the facade and the parts under it (the HTTP server needs the stores too). */
export type GatewayServices =
  | Gateway
  | SessionSupervisor
  | SessionEngine
  | SessionService
  | Stores
  | GatewayMetrics
  | Wakeups
  | EventFeed
  | WebhookDispatcher

/** A simulator gateway adds the simulated phone, at the engine and at the gateway. */
export type SimulatorGatewayServices = GatewayServices | SimulatedPhone | SimulatedPhoneGateway

/** The SQL database a durable store option names (the CLI opens it too, for keys and migrations). */
export const sqlDatabaseLayer = (
  options: Exclude<StoreOptions, { readonly _tag: "memory" }>
): Layer.Layer<SqlDatabase, StoreUnavailable> =>
  options._tag === "postgres"
    ? SqlDatabase.postgres({ url: options.url, schema: options.schema })
    : SqlDatabase.pglite({ dataDir: options.dataDir, schema: options.schema })

/** The writes of both logs signal the readers waiting for them. */
const signalling = (base: Layer.Layer<Stores | Wakeups, StoreUnavailable>): Layer.Layer<Stores | Wakeups, StoreUnavailable> =>
  Layer.merge(base, Layer.provide(SignallingLogs, base))

/**
 * The stores of the option and their wake-ups: in-process for memory and
 * PGlite (one process owns them), LISTEN/NOTIFY across processes on PostgreSQL.
 */
export const gatewayStores = (options: StoreOptions): Layer.Layer<Stores | Wakeups, StoreUnavailable> => {
  if (options._tag === "memory") return signalling(Layer.merge(MemoryStores, Wakeups.inProcess))
  const database = sqlDatabaseLayer(options)
  const wakeups = options._tag === "postgres" ? Wakeups.postgres({ url: options.url, schema: options.schema }) : Wakeups.inProcess
  return signalling(Layer.merge(SqlStores, wakeups).pipe(Layer.provide(database)))
}

/** Store, domain service, the given engine (and what else its layer provides), its supervisor, events out and the facade. */
const compose = <Extra>(
  options: GatewayOptions,
  engine: Layer.Layer<SessionEngine | Extra, never, AuthStateStore>
): Layer.Layer<GatewayServices | Extra, StoreUnavailable> => {
  // Every append, whoever makes it, is timed: the instrumented store stands in for the plain one above here.
  const measured = Layer.provideMerge(InstrumentedEventStore, Layer.provideMerge(GatewayMetrics.layer, gatewayStores(options.store)))
  // With tracing on (the `Tracing` reference), appends and engine operations are spans too.
  const traced = Layer.provideMerge(TracedEventStore, measured)
  const domain = Layer.provideMerge(SessionService.Live, traced)
  const withEngine = Layer.provideMerge(Layer.provideMerge(TracedSessionEngine, engine), domain)
  const supervised = Layer.provideMerge(SessionSupervisor.layer(options.supervisor), withEngine)
  const eventsOut = Layer.provideMerge(
    Layer.merge(EventFeed.layer({ pollInterval: options.webhooks?.pollInterval }), WebhookDispatcher.layer(options.webhooks)),
    supervised
  )
  return Layer.provideMerge(Layer.merge(GatewayLive, EngineMetricsLive), eventsOut)
}

/** A whole gateway on the simulator engine, with its simulated phone. */
export const simulatorGatewayLayer = (
  options: GatewayOptions & { readonly simulator?: SimulatorOptions | undefined }
): Layer.Layer<SimulatorGatewayServices, StoreUnavailable> =>
  Layer.provideMerge(SimulatedPhoneGateway.Live, compose(options, simulatorEngineLayer(options.simulator)))

export interface ProductionGatewayOptions extends GatewayOptions {
  /** Which WhatsApp server the sockets connect to and what they trust (default: WhatsApp's own, verified). */
  readonly whatsapp?: WhatsAppServer | undefined
  readonly engine?: BaileysEngineOptions | undefined
}

/** A whole gateway on the production engine: Baileys, its auth state in the gateway's store. */
export const productionGatewayLayer = (options: ProductionGatewayOptions): Layer.Layer<GatewayServices, StoreUnavailable> =>
  compose(options, baileysEngineLayer(options.engine).pipe(Layer.provide(baileysSocketFactory(options.whatsapp ?? realWhatsApp))))
