import { Data } from "effect"
import type { OrgId, SessionId } from "../ids.js"
import type { LogoutActor, PairingFailureReason, PairingMethod } from "./events.js"
import type { WaIdentity } from "./identity.js"

// Commands carry raw input (e.g. `phone` is a plain string): validating it is
// the decider's job, so a bad phone becomes the typed `InvalidPhone` error.

export class CreateSession extends Data.TaggedClass("CreateSession")<{
  readonly sessionId: SessionId
  readonly orgId: OrgId
  readonly name: string
}> {}

export class StartPairing extends Data.TaggedClass("StartPairing")<{
  readonly method: PairingMethod
  readonly phone?: string
}> {}

export class CompletePairing extends Data.TaggedClass("CompletePairing")<{
  readonly identity: WaIdentity
}> {}

export class FailPairing extends Data.TaggedClass("FailPairing")<{
  readonly reason: PairingFailureReason
}> {}

export class Logout extends Data.TaggedClass("Logout")<{
  readonly by: LogoutActor
}> {}

export class DeleteSession extends Data.TaggedClass("DeleteSession")<{}> {}

export type SessionCommand = CreateSession | StartPairing | CompletePairing | FailPairing | Logout | DeleteSession
