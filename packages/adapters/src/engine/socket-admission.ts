import type { SessionId, StoreUnavailable } from "@wa-gateway/domain"
import { Context, type Effect } from "effect"

/**
 * May this process open a WhatsApp socket for the session now? Asked before
 * every socket a runtime opens. Absent (single process): always. A cluster
 * runner admits only while its ownership fence is the session's current one,
 * so a former owner that wakes up (a paused process, a healed partition)
 * never logs in again beside the new owner.
 */
export class SocketAdmission extends Context.Tag("wa-gateway/SocketAdmission")<SocketAdmission, {
  /** `false`: another process owns the session; a store failure: not known now, try again later. */
  readonly admit: (sessionId: SessionId) => Effect.Effect<boolean, StoreUnavailable>
}>() {}
