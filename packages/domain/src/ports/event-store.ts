import { Context, type Effect, type Option, Schema } from "effect"
import type { OrgId, SessionId } from "../ids.js"
import type { SessionEvent } from "../session/events.js"
import type { WaIdentity } from "../session/identity.js"
import type { VisibleSessionStatus } from "../session/state.js"
import type { OwnershipFence, OwnershipLost } from "./session-ownership.js"

/** One event as stored: the envelope around a domain event. */
export interface StoredEvent {
  /** Position in the global log; increasing, with gaps allowed. */
  readonly position: bigint
  readonly streamId: SessionId
  /** 1-based; the n-th event of its stream has version n. */
  readonly version: number
  readonly orgId: OrgId
  readonly event: SessionEvent
  readonly occurredAt: Date
}

interface SessionRecordFields {
  readonly sessionId: SessionId
  readonly orgId: OrgId
  readonly name: string
  readonly createdAt: Date
  readonly updatedAt: Date
  /** The stream's version: how many events it has. */
  readonly version: number
}

/**
 * The `sessions` read model row: the stream head, kept in the append's
 * statement. Only a paired session has an identity.
 */
export type SessionRecord =
  | SessionRecordFields & { readonly status: "paired"; readonly identity: WaIdentity }
  | SessionRecordFields & { readonly status: Exclude<VisibleSessionStatus, "paired">; readonly identity: null }

/** Who caused an append and in answer to what: kept beside the events for the audit trail. */
export interface EventMetadata {
  /** The request (HTTP `x-request-id`) or other operation the events answer. */
  readonly correlationId?: string
  /** `api-key:<id>`, `jwt:<sub>`, or `engine` for what WhatsApp reported. */
  readonly actor?: string
}

export interface AppendRequest {
  readonly streamId: SessionId
  readonly orgId: OrgId
  /** The stream's version the events were decided on; 0 for a new stream. */
  readonly expectedVersion: number
  readonly events: ReadonlyArray<SessionEvent>
  readonly occurredAt: Date
  /** Written with every event of the append (`events.metadata`); none → `{}`. */
  readonly metadata?: EventMetadata
  /**
   * The read model row after these events, or `null` when they end the
   * stream (`SessionDeleted`): then the store erases the session (DESIGN §3).
   */
  readonly record: SessionRecord | null
  /**
   * The writer's ownership epoch (cluster mode): the append goes through only
   * while it is the session's current one (checked in the append's own
   * statement), else `OwnershipLost`. Absent: unfenced. The single-process
   * stores (memory, PGlite) ignore it.
   */
  readonly fence?: OwnershipFence
}

export interface AppendResult {
  readonly nextVersion: number
  readonly lastPosition: bigint
}

export interface SessionPageRequest {
  readonly orgId: OrgId
  readonly pageSize: number
  /** The last row of the previous page (keyset pagination, newest first). */
  readonly after: { readonly createdAt: Date; readonly sessionId: SessionId } | null
}

export interface SessionPage {
  readonly sessions: ReadonlyArray<SessionRecord>
  /** Set when more rows may follow: the last row's key. */
  readonly hasMore: boolean
}

/** An append whose expected version is not the stream's version: nothing was written. */
export class VersionConflict extends Schema.TaggedError<VersionConflict>()("VersionConflict", {
  streamId: Schema.String,
  expectedVersion: Schema.Number
}) {}

/** The store could not be reached or failed; safe to retry. */
export class StoreUnavailable extends Schema.TaggedError<StoreUnavailable>()("StoreUnavailable", {
  message: Schema.String
}) {}

export class EventStore extends Context.Tag("wa-gateway/EventStore")<EventStore, {
  /** Atomically: check the expected version, insert the events, write the read model. */
  readonly append: (request: AppendRequest) => Effect.Effect<AppendResult, VersionConflict | StoreUnavailable | OwnershipLost>
  readonly readStream: (streamId: SessionId) => Effect.Effect<ReadonlyArray<StoredEvent>, StoreUnavailable>
  /**
   * Events after `position` in log order, never skipping one that commits
   * later with a smaller position (only what every open transaction can no
   * longer add to is returned).
   */
  readonly readAll: (after: bigint, limit: number) => Effect.Effect<ReadonlyArray<StoredEvent>, StoreUnavailable>
  readonly getSession: (sessionId: SessionId) => Effect.Effect<Option.Option<SessionRecord>, StoreUnavailable>
  readonly listSessions: (request: SessionPageRequest) => Effect.Effect<SessionPage, StoreUnavailable>
  /** Sessions in the given statuses across all orgs (the supervisor resumes `paired` ones on boot). */
  readonly sessionsInStatus: (status: VisibleSessionStatus) => Effect.Effect<ReadonlyArray<SessionRecord>, StoreUnavailable>
  /** How many sessions there are in each visible status, across all orgs (the `wa_sessions` gauge). */
  readonly sessionCounts: Effect.Effect<Readonly<Record<VisibleSessionStatus, number>>, StoreUnavailable>
  /** Cheap reachability check for `/readyz`. */
  readonly ping: Effect.Effect<void, StoreUnavailable>
}>() {}
