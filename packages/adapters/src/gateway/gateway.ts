import { Context, type Effect, Layer } from "effect"
import {
  type AlreadyPaired,
  type ConcurrencyConflict,
  type EngineError,
  type EventStore,
  type InvalidPhone,
  type NotPaired,
  type OrgId,
  SessionEngine,
  type SessionId,
  type SessionNotFound,
  type SessionRecord,
  SessionService,
  type StoredEvent,
  type StoreUnavailable
} from "@wa-gateway/domain"
import { notImplementedEngineLayer } from "../engine/not-implemented-engine.js"
import { SessionSupervisor, type SupervisorOptions } from "../engine/session-supervisor.js"
import { SimulatorControl } from "../engine/simulator/simulator-control.js"
import { type SimulatorOptions, simulatorEngineLayer } from "../engine/simulator/simulator-engine.js"
import { SqlDatabase } from "../store/sql-database.js"
import { MemoryStores, SqlStores, type Stores } from "../store/stores.js"
import { makeGateway } from "./make-gateway.js"
import { SimulatedPhone } from "./simulated-phone.js"

/** A session as callers see it: the read model plus the runtime `connected` flag. */
export interface SessionView extends SessionRecord {
  readonly connected: boolean
}

export interface SessionViewPage {
  readonly sessions: ReadonlyArray<SessionView>
  readonly hasMore: boolean
}

export interface QrChallenge {
  readonly qr: string
  readonly expiresAt: Date
}

export interface PairingCode {
  /** `ABCD-1234`: 8 characters with a dash in the middle. */
  readonly code: string
  readonly expiresAt: Date
}

export type GatewayError = SessionNotFound | ConcurrencyConflict | StoreUnavailable

/**
 * The whole gateway as one service: what the HTTP handlers call and what an
 * embedding Node service uses. Every operation is scoped to one org.
 */
export class Gateway extends Context.Tag("wa-gateway/Gateway")<Gateway, {
  readonly create: (orgId: OrgId, input: { readonly name: string }) => Effect.Effect<SessionView, GatewayError>
  readonly get: (orgId: OrgId, sessionId: SessionId) => Effect.Effect<SessionView, GatewayError>
  readonly list: (
    orgId: OrgId,
    page: { readonly pageSize: number; readonly after: { readonly createdAt: Date; readonly sessionId: SessionId } | null }
  ) => Effect.Effect<SessionViewPage, GatewayError>
  /** Starts QR pairing when unpaired/logged_out; returns the current QR while pairing. */
  readonly qr: (orgId: OrgId, sessionId: SessionId) => Effect.Effect<QrChallenge, GatewayError | AlreadyPaired | EngineError>
  readonly requestPairingCode: (
    orgId: OrgId,
    sessionId: SessionId,
    phone: string
  ) => Effect.Effect<PairingCode, GatewayError | AlreadyPaired | InvalidPhone | EngineError>
  readonly logout: (orgId: OrgId, sessionId: SessionId) => Effect.Effect<SessionView, GatewayError | NotPaired | EngineError>
  readonly delete: (orgId: OrgId, sessionId: SessionId) => Effect.Effect<void, GatewayError | EngineError>
  /** The paired identity; a session that is not paired is `SessionNotFound` (the seed's rule). */
  readonly me: (orgId: OrgId, sessionId: SessionId) => Effect.Effect<SessionView, GatewayError>
  readonly events: (orgId: OrgId, sessionId: SessionId) => Effect.Effect<ReadonlyArray<StoredEvent>, GatewayError>
  /** Store reachable? For `/readyz`. */
  readonly ready: Effect.Effect<void, StoreUnavailable>
}>() {
  /** The facade alone, over a store, the domain service, an engine and its supervisor. */
  static readonly Live: Layer.Layer<Gateway, never, SessionService | SessionEngine | SessionSupervisor | EventStore> =
    Layer.effect(this, makeGateway)

  /** A whole gateway in one Layer: store, domain service, engine, supervisor, facade (and the simulated phone). */
  static readonly layer = (options: GatewayOptions): Layer.Layer<GatewayServices, StoreUnavailable> => {
    const stores = storeLayer(options.store)
    const domain = Layer.provideMerge(SessionService.Live, stores)
    const engine = options.engine === "simulator" ? simulatorEngineLayer(options.simulator) : notImplementedEngineLayer(options.engine)
    const supervised = Layer.provideMerge(SessionSupervisor.layer(options.supervisor), Layer.merge(domain, engine))
    return Layer.provideMerge(Layer.merge(Gateway.Live, SimulatedPhone.Live), supervised)
  }
}

/** Where the gateway keeps its events, read model, auth state and API keys. */
export type StoreOptions =
  | { readonly _tag: "memory" }
  | { readonly _tag: "postgres"; readonly url?: string | undefined; readonly schema?: string | undefined }
  | { readonly _tag: "pglite"; readonly dataDir?: string | undefined; readonly schema?: string | undefined }

/** `baileys` is not in this build yet: its operations fail with `EngineNotImplemented` (HTTP 501). */
export type EngineName = "simulator" | "baileys"

export interface GatewayOptions {
  readonly store: StoreOptions
  readonly engine: EngineName
  readonly simulator?: SimulatorOptions | undefined
  readonly supervisor?: SupervisorOptions | undefined
}

/** Everything `Gateway.layer` provides: the facade and the parts under it (the HTTP server needs the stores too). */
export type GatewayServices =
  | Gateway
  | SimulatedPhone
  | SimulatorControl
  | SessionSupervisor
  | SessionEngine
  | SessionService
  | Stores

/** The SQL database a durable store option names (the CLI opens it too, for keys and migrations). */
export const sqlDatabaseLayer = (
  options: Exclude<StoreOptions, { readonly _tag: "memory" }>
): Layer.Layer<SqlDatabase, StoreUnavailable> =>
  options._tag === "postgres"
    ? SqlDatabase.postgres({ url: options.url, schema: options.schema })
    : SqlDatabase.pglite({ dataDir: options.dataDir, schema: options.schema })

const storeLayer = (options: StoreOptions): Layer.Layer<Stores, StoreUnavailable> =>
  options._tag === "memory" ? MemoryStores : Layer.provide(SqlStores, sqlDatabaseLayer(options))
