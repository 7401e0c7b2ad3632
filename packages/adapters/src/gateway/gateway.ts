import { Context, type Effect, type Stream } from "effect"
import type {
  AlreadyPaired,
  ConcurrencyConflict,
  EngineError,
  InvalidPhone,
  NotPaired,
  OrgId,
  SessionId,
  SessionNotFound,
  StoredEvent,
  OwnershipLost,
  StoreUnavailable
} from "@wa-gateway/domain"
import type { ResumeProgress } from "../engine/session-supervisor.js"
import type { FeedEvent, FeedFilter, SubscriberTooSlow } from "../webhooks/event-feed.js"
import type { WebhookOperations } from "../webhooks/webhook-operations.js"
import type { PairedSessionView, SessionView, SessionViewPage } from "./session-view.js"

export interface QrChallenge {
  readonly qr: string
  readonly expiresAt: Date
}

export interface PairingCode {
  /** `ABCD-1234`: 8 characters with a dash in the middle. */
  readonly code: string
  readonly expiresAt: Date
}

/** Where the next page starts: the last session of the previous page (newest first). */
export interface PageCursor {
  readonly createdAt: Date
  readonly sessionId: SessionId
}

/** A write of the session's stream did not go through. */
/** A write did not go through: a lost race, the store, or (cluster mode) the session moved to another process. */
type WriteError = ConcurrencyConflict | StoreUnavailable | OwnershipLost

/** What `/readyz` reports beside the store's reachability. */
export interface Readiness {
  readonly engine: string
  readonly warnings: ReadonlyArray<string>
  readonly resume: ResumeProgress
}

/**
 * The whole gateway as one service: what the HTTP handlers call and what an
 * embedding Node service uses. Every operation is scoped to one org and
 * fails with only what it can fail with.
 */
export class Gateway extends Context.Tag("wa-gateway/Gateway")<Gateway, {
  readonly create: (orgId: OrgId, input: { readonly name: string }) => Effect.Effect<SessionView, WriteError>
  readonly get: (orgId: OrgId, sessionId: SessionId) => Effect.Effect<SessionView, SessionNotFound | StoreUnavailable>
  readonly list: (
    orgId: OrgId,
    page: { readonly pageSize: number; readonly after: PageCursor | null }
  ) => Effect.Effect<SessionViewPage, StoreUnavailable>
  /** Starts QR pairing when unpaired/logged_out; returns the current QR while pairing by QR. */
  readonly qr: (orgId: OrgId, sessionId: SessionId) => Effect.Effect<QrChallenge, SessionNotFound | AlreadyPaired | WriteError | EngineError>
  readonly requestPairingCode: (
    orgId: OrgId,
    sessionId: SessionId,
    phone: string
  ) => Effect.Effect<PairingCode, SessionNotFound | AlreadyPaired | InvalidPhone | WriteError | EngineError>
  /** Unlinks the device on WhatsApp, then records the logout. */
  readonly logout: (orgId: OrgId, sessionId: SessionId) => Effect.Effect<SessionView, SessionNotFound | NotPaired | WriteError | EngineError>
  /** Closes the socket, erases the session and its keys. */
  readonly delete: (orgId: OrgId, sessionId: SessionId) => Effect.Effect<void, SessionNotFound | WriteError>
  /** The paired identity; a session that is not paired is `SessionNotFound` (the seed's rule). */
  readonly me: (orgId: OrgId, sessionId: SessionId) => Effect.Effect<PairedSessionView, SessionNotFound | StoreUnavailable>
  readonly events: (orgId: OrgId, sessionId: SessionId) => Effect.Effect<ReadonlyArray<StoredEvent>, SessionNotFound | StoreUnavailable>
  /** Store reachable? For `/readyz`, with the engine's name and the boot pass's progress. */
  readonly ready: Effect.Effect<Readiness, StoreUnavailable>
  /** Webhook subscriptions and their deliveries (spec/EVENTS.md). */
  readonly webhooks: WebhookOperations
  /**
   * The org's lifecycle events as they happen: resumable from a log position
   * (none skipped or repeated), connection changes and QR codes live only.
   */
  readonly subscribe: (orgId: OrgId, filter?: FeedFilter) => Stream.Stream<FeedEvent, StoreUnavailable | SubscriberTooSlow>
}>() {}
