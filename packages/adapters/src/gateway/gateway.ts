import { Context, type Effect } from "effect"
import type {
  AlreadyPaired,
  ConcurrencyConflict,
  EngineError,
  InvalidPhone,
  NotPaired,
  OrgId,
  SessionId,
  SessionNotFound,
  SessionRecord,
  StoredEvent,
  StoreUnavailable
} from "@wa-gateway/domain"

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
}>() {}
