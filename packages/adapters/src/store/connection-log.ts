import { Context, type Effect } from "effect"
import type { DisconnectCause, OrgId, SessionId, SessionRecord, StoreUnavailable } from "@wa-gateway/domain"

/** A change of a session's socket as the supervisor observed it. */
export type ConnectionChange =
  | { readonly _tag: "Connected" }
  | { readonly _tag: "Disconnected"; readonly cause: DisconnectCause; readonly willReconnect: boolean }

export interface ConnectionEventInput {
  readonly sessionId: SessionId
  readonly orgId: OrgId
  readonly change: ConnectionChange
  /** The session's status when it happened (the payload's `status`). */
  readonly status: SessionRecord["status"]
  readonly occurredAt: Date
}

/** One recorded connection change, with its position in the connection log (not the session log). */
export interface ConnectionEvent extends ConnectionEventInput {
  readonly position: bigint
}

/**
 * The durable record of `session.connected` / `session.disconnected`: a log of
 * its own beside the session log, so recording one never bumps a session's
 * version nor races a user's command on the session's stream.
 */
export class ConnectionLog extends Context.Tag("wa-gateway/ConnectionLog")<ConnectionLog, {
  readonly record: (event: ConnectionEventInput) => Effect.Effect<ConnectionEvent, StoreUnavailable>
  /**
   * Events after `position` in order, never skipping one that commits later
   * with a smaller position (the event log's xid8 rule, DESIGN §3).
   */
  readonly readAfter: (position: bigint, limit: number) => Effect.Effect<ReadonlyArray<ConnectionEvent>, StoreUnavailable>
  /** The position up to which every event is readable: where "from now on" starts. */
  readonly head: Effect.Effect<bigint, StoreUnavailable>
}>() {}
