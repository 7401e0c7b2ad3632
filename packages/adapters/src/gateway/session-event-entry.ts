import type { SessionEventType, StoredEvent } from "@wa-gateway/domain"
import { encodeEvent } from "../store/event-codec.js"

/** One event of a session's history as callers see it (`GET /sessions/{id}/events`, `createGateway().events`). */
export interface SessionEventEntry {
  /** Position in the global log: increasing, with gaps; a number, so the list serializes with `JSON.stringify`. */
  readonly position: number
  readonly version: number
  readonly type: SessionEventType
  readonly occurredAt: Date
  readonly data: Readonly<Record<string, unknown>>
}

/** Stored fields that are the gateway's own plumbing, not the session's history: the pairing attempt's id. */
const INTERNAL_FIELDS: ReadonlySet<string> = new Set(["attemptId"])

export const toSessionEventEntry = (stored: StoredEvent): SessionEventEntry => {
  const { data, type } = encodeEvent(stored.event)
  return {
    // A JSON number compares as clients expect; 2^53 events is beyond any log we will hold.
    position: Number(stored.position),
    version: stored.version,
    type,
    occurredAt: stored.occurredAt,
    data: Object.fromEntries(Object.entries(data).filter(([key]) => !INTERNAL_FIELDS.has(key)))
  }
}
