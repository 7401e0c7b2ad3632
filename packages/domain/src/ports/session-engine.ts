import { Context, Data, type Effect, type Option, Schema, type Stream } from "effect"
import type { PhoneNumber, SessionId } from "../ids.js"
import type { PairingFailureReason } from "../session/events.js"
import type { WaIdentity } from "../session/identity.js"

/** What a phone needs to link this session; short-lived runtime data, never an event. */
export type PairingChallenge =
  | { readonly _tag: "Qr"; readonly qr: string; readonly expiresAt: Date }
  | { readonly _tag: "Code"; readonly code: string; readonly phone: PhoneNumber; readonly expiresAt: Date }

export type PairingRequest =
  | { readonly _tag: "Qr" }
  | { readonly _tag: "Code"; readonly phone: PhoneNumber }

/** What an engine reports about its sockets; the supervisor turns them into commands. */
export type EngineEvent = Data.TaggedEnum<{
  QrUpdated: { readonly sessionId: SessionId; readonly qr: string; readonly expiresAt: Date }
  PairingCodeIssued: { readonly sessionId: SessionId; readonly code: string; readonly expiresAt: Date }
  Paired: { readonly sessionId: SessionId; readonly identity: WaIdentity }
  Connected: { readonly sessionId: SessionId }
  Disconnected: { readonly sessionId: SessionId; readonly reason: string }
  LoggedOutByDevice: { readonly sessionId: SessionId }
  PairingFailed: { readonly sessionId: SessionId; readonly reason: PairingFailureReason }
}>
export const EngineEvent = Data.taggedEnum<EngineEvent>()

/** The engine could not do it now (network, socket); safe to retry. */
export class EngineUnavailable extends Schema.TaggedError<EngineUnavailable>()("EngineUnavailable", {
  message: Schema.String
}) {}

/** The running engine cannot do this at all (e.g. Baileys not yet available). */
export class EngineNotImplemented extends Schema.TaggedError<EngineNotImplemented>()("EngineNotImplemented", {
  operation: Schema.String
}) {}

export type EngineError = EngineUnavailable | EngineNotImplemented

export class SessionEngine extends Context.Tag("wa-gateway/SessionEngine")<SessionEngine, {
  /** Which engine this is, for logs and `/readyz`. */
  readonly name: string
  /** Starts (or restarts) pairing and returns the first challenge. */
  readonly startPairing: (sessionId: SessionId, request: PairingRequest) => Effect.Effect<PairingChallenge, EngineError>
  /** The challenge showing now, if the session is pairing and it has not expired. */
  readonly currentChallenge: (sessionId: SessionId) => Effect.Effect<Option.Option<PairingChallenge>>
  /** Unlinks the device on WhatsApp and forgets the socket. */
  readonly logout: (sessionId: SessionId) => Effect.Effect<void, EngineError>
  /** Reconnects a paired session from its stored auth state (on boot). */
  readonly resume: (sessionId: SessionId) => Effect.Effect<void, EngineError>
  /** Closes the socket without logging out (shutdown). */
  readonly stop: (sessionId: SessionId) => Effect.Effect<void>
  /** Closes the socket and removes every stored key of the session. */
  readonly purge: (sessionId: SessionId) => Effect.Effect<void, EngineError>
  readonly events: Stream.Stream<EngineEvent>
}>() {}
