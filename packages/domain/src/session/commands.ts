import { Data } from "effect"
import type { OrgId, PairingAttemptId, SessionId } from "../ids.js"
import type { LogoutActor, PairingFailureReason } from "./events.js"
import type { WaIdentity } from "./identity.js"

// Every command names its session, so the decider needs nothing beside the
// command and the state. Commands carry raw input (e.g. `phone` is a plain
// string): validating it is the decider's job, so a bad phone becomes the
// typed `InvalidPhone` error.

export class CreateSession extends Data.TaggedClass("CreateSession")<{
  readonly sessionId: SessionId
  readonly orgId: OrgId
  readonly name: string
}> {}

/** Pairing by QR: the phone scans what the engine shows; no phone number is involved. */
export class StartQrPairing extends Data.TaggedClass("StartQrPairing")<{
  readonly sessionId: SessionId
  readonly attemptId: PairingAttemptId
}> {}

/** Pairing by code: the code is bound to this phone number (digits only, 8–15, no `+`). */
export class StartCodePairing extends Data.TaggedClass("StartCodePairing")<{
  readonly sessionId: SessionId
  readonly attemptId: PairingAttemptId
  readonly phone: string
}> {}

/** From the engine: the phone linked the device during this attempt. */
export class CompletePairing extends Data.TaggedClass("CompletePairing")<{
  readonly sessionId: SessionId
  readonly attemptId: PairingAttemptId
  readonly identity: WaIdentity
}> {}

/**
 * The pairing failed. With `attemptId`, only that attempt (an engine's
 * report); without, whichever attempt is in progress (the gateway after a
 * restart, when no engine holds any challenge any more).
 */
export class FailPairing extends Data.TaggedClass("FailPairing")<{
  readonly sessionId: SessionId
  readonly attemptId?: PairingAttemptId
  readonly reason: PairingFailureReason
}> {}

export class Logout extends Data.TaggedClass("Logout")<{
  readonly sessionId: SessionId
  readonly by: LogoutActor
}> {}

export class DeleteSession extends Data.TaggedClass("DeleteSession")<{
  readonly sessionId: SessionId
}> {}

export type SessionCommand =
  | CreateSession
  | StartQrPairing
  | StartCodePairing
  | CompletePairing
  | FailPairing
  | Logout
  | DeleteSession

export type SessionCommandTag = SessionCommand["_tag"]

type CommandsByTag = { readonly [C in SessionCommand as C["_tag"]]: C }

/** The command with this tag. */
export type SessionCommandOf<K extends SessionCommandTag> = CommandsByTag[K]
