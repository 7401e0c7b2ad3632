import { Context, Data, type Effect, type Option, Schema, type Stream } from "effect"
import type { PairingAttemptId, PhoneNumber, SessionId } from "../ids.js"
import type { PairingFailureReason } from "../session/events.js"
import type { WaIdentity } from "../session/identity.js"

/** What a phone needs to link this session; short-lived runtime data, never an event. */
export type PairingChallenge =
  | { readonly _tag: "Qr"; readonly attemptId: PairingAttemptId; readonly qr: string; readonly expiresAt: Date }
  | {
    readonly _tag: "Code"
    readonly attemptId: PairingAttemptId
    readonly code: string
    readonly phone: PhoneNumber
    readonly expiresAt: Date
  }

/** A pairing attempt the gateway has recorded (`PairingStarted`), for the engine to start. */
export type PairingRequest =
  | { readonly _tag: "Qr"; readonly attemptId: PairingAttemptId }
  | { readonly _tag: "Code"; readonly attemptId: PairingAttemptId; readonly phone: PhoneNumber }

/**
 * Why a session's socket closed, as the API and webhooks report it
 * (`session.disconnected` `cause`). WhatsApp's close codes map onto these
 * in the engine (e.g. 515 → `restart_required`, 440 → `replaced`).
 */
export const DisconnectCause = Schema.Literal(
  "restart_required",
  "connection_lost",
  "timed_out",
  "unavailable",
  "replaced",
  "logged_out",
  "forbidden",
  "bad_session",
  "pairing_ended",
  "shutdown",
  "unknown"
)
export type DisconnectCause = typeof DisconnectCause.Type

/**
 * What an engine reports about its sockets; the supervisor turns them into
 * commands. Pairing events name the attempt they belong to.
 */
export type EngineEvent = Data.TaggedEnum<{
  QrUpdated: { readonly sessionId: SessionId; readonly attemptId: PairingAttemptId; readonly qr: string; readonly expiresAt: Date }
  PairingCodeIssued: {
    readonly sessionId: SessionId
    readonly attemptId: PairingAttemptId
    readonly code: string
    readonly expiresAt: Date
  }
  Paired: { readonly sessionId: SessionId; readonly attemptId: PairingAttemptId; readonly identity: WaIdentity }
  Connected: { readonly sessionId: SessionId }
  /** The socket closed; `willReconnect` says whether the engine opens another by itself. */
  Disconnected: { readonly sessionId: SessionId; readonly cause: DisconnectCause; readonly willReconnect: boolean }
  /** The phone removed the linked device (WhatsApp 401): the engine has dropped the session's keys' use. */
  LoggedOutByDevice: { readonly sessionId: SessionId }
  PairingFailed: { readonly sessionId: SessionId; readonly attemptId: PairingAttemptId; readonly reason: PairingFailureReason }
}>
export const EngineEvent = Data.taggedEnum<EngineEvent>()

/** The engine could not do it now (network, socket); safe to retry. */
export class EngineUnavailable extends Schema.TaggedError<EngineUnavailable>()("EngineUnavailable", {
  message: Schema.String
}) {}

/** The running engine cannot do this at all. */
export class EngineNotImplemented extends Schema.TaggedError<EngineNotImplemented>()("EngineNotImplemented", {
  operation: Schema.String
}) {}

export type EngineError = EngineUnavailable | EngineNotImplemented

/**
 * A WhatsApp engine: one runtime per session that has a socket, each owning
 * it in its own scope (never two sockets on one session), running its own
 * close-reason loop and holding its connection state.
 */
export class SessionEngine extends Context.Tag("wa-gateway/SessionEngine")<SessionEngine, {
  /** Which engine this is, for logs and `/readyz`. */
  readonly name: string
  /** What an operator must know about how it is configured (e.g. a test WhatsApp server): logged at start, shown on `/readyz`. */
  readonly warnings: ReadonlyArray<string>
  /** Starts (or restarts) pairing for this attempt and returns its first challenge. */
  readonly startPairing: (sessionId: SessionId, request: PairingRequest) => Effect.Effect<PairingChallenge, EngineError>
  /** The challenge showing now, if the session is pairing and it has not expired. */
  readonly currentChallenge: (sessionId: SessionId) => Effect.Effect<Option.Option<PairingChallenge>>
  /** Whether the session's socket is open now (runtime state, not an event). */
  readonly isConnected: (sessionId: SessionId) => Effect.Effect<boolean>
  /** Unlinks the device on WhatsApp and forgets the socket. */
  readonly logout: (sessionId: SessionId) => Effect.Effect<void, EngineError>
  /** Reconnects a paired session from its stored auth state (on boot). */
  readonly resume: (sessionId: SessionId) => Effect.Effect<void, EngineError>
  /** Closes the socket without logging out (shutdown). */
  readonly stop: (sessionId: SessionId) => Effect.Effect<void>
  /** Closes the socket, then removes every stored key of the session. */
  readonly purge: (sessionId: SessionId) => Effect.Effect<void, EngineError>
  readonly events: Stream.Stream<EngineEvent>
}>() {}
