import { Context, type Effect, type Option, Schema } from "effect"
import type { SessionId } from "../ids.js"

/**
 * An ownership epoch ("fence"): taken by a process when it becomes the
 * session's owner (cluster mode), one higher than every earlier owner's. A
 * write carrying an older fence than the session's current one is refused.
 */
export type OwnershipFence = number

/**
 * A write carried a fence that is no longer the session's: another process
 * owns the session now. Nothing was written; the writer is a former owner
 * (paused or partitioned) and must stop acting for the session.
 */
export class OwnershipLost extends Schema.TaggedError<OwnershipLost>()("OwnershipLost", {
  sessionId: Schema.String,
  fence: Schema.Number
}) {}

/**
 * Which sessions this process owns, and under which fence. Single-process
 * gateways have none (their writes carry no fence); a cluster runner holds
 * the fence of every session entity it runs.
 */
export class SessionOwnership extends Context.Tag("wa-gateway/SessionOwnership")<SessionOwnership, {
  readonly fenceOf: (sessionId: SessionId) => Effect.Effect<Option.Option<OwnershipFence>>
}>() {}
