import { Context, type Effect, Schema } from "effect"
import type { EngineEvent, PhoneNumber, SessionId } from "@wa-gateway/domain"

/** What the phone tried does not fit the session's state on the engine. HTTP: 400. */
export class PhoneActionRejected extends Schema.TaggedError<PhoneActionRejected>()("PhoneActionRejected", {
  sessionId: Schema.String,
  reason: Schema.Literal("no_qr_showing", "no_code_pending", "wrong_code", "not_linked"),
  message: Schema.String
}) {}

export interface ScanInput {
  readonly phoneNumber: PhoneNumber
  readonly pushName?: string | undefined
}

export interface EnterCodeInput {
  readonly code: string
  readonly pushName?: string | undefined
}

/**
 * The simulated phone, acting on the simulator engine (only that engine has
 * one). Each action returns the last engine event it caused, so a caller can
 * wait until the gateway has taken it in.
 */
export class SimulatedPhone extends Context.Tag("wa-gateway/SimulatedPhone")<SimulatedPhone, {
  /** Scans the QR showing now; the session becomes linked. */
  readonly scan: (sessionId: SessionId, input: ScanInput) => Effect.Effect<EngineEvent, PhoneActionRejected>
  /** Types the pairing code on the phone it was issued for. */
  readonly enterCode: (sessionId: SessionId, input: EnterCodeInput) => Effect.Effect<EngineEvent, PhoneActionRejected>
  /** Removes the linked device from the phone's settings. */
  readonly unlink: (sessionId: SessionId) => Effect.Effect<EngineEvent, PhoneActionRejected>
  /** The network drops now and comes back after `reconnectAfterMs`. */
  readonly dropConnection: (sessionId: SessionId, reconnectAfterMs: number) => Effect.Effect<EngineEvent, PhoneActionRejected>
}>() {}
