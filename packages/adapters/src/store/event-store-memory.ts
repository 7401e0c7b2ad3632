import {
  type AppendRequest,
  EventStore,
  type SessionPageRequest,
  type SessionRecord,
  type StoredEvent,
  VersionConflict
} from "@wa-gateway/domain"
import { type Context, Effect, Layer, Option } from "effect"
import { eraseEvent } from "./erasure.js"
import { MemoryDatabase, type MemoryTables } from "./memory-database.js"

const make = (tables: MemoryTables): Context.Tag.Service<EventStore> => {
  const streamEvents = (streamId: string): ReadonlyArray<StoredEvent> =>
    (tables.streams.get(streamId) ?? []).flatMap((index) => tables.events[index] ?? [])

  // The same guard as SQL: the sessions row is the stream head. A new stream
  // needs no head and no events (SQL refuses the latter through the unique
  // (stream_id, stream_version) constraint); any later append needs the head
  // at exactly the expected version.
  const accepts = (request: AppendRequest): boolean => {
    const head = tables.sessions.get(request.streamId)
    return request.expectedVersion === 0
      ? head === undefined && !tables.streams.has(request.streamId)
      : head !== undefined && head.version === request.expectedVersion
  }

  const append = (request: AppendRequest) =>
    Effect.suspend(() => {
      if (request.events.length === 0) return Effect.dieMessage("an append needs at least one event")
      if (!accepts(request)) {
        return Effect.fail(new VersionConflict({ streamId: request.streamId, expectedVersion: request.expectedVersion }))
      }
      const nextVersion = request.expectedVersion + request.events.length
      const indexes = tables.streams.get(request.streamId) ?? []
      if (request.record === null) {
        for (const index of indexes) {
          const stored = tables.events[index]
          if (stored !== undefined) tables.events[index] = { ...stored, event: eraseEvent(stored.event) }
        }
        tables.sessions.delete(request.streamId)
        tables.waAuth.delete(request.streamId)
      } else {
        const createdAt = tables.sessions.get(request.streamId)?.createdAt ?? request.record.createdAt
        tables.sessions.set(request.streamId, { ...request.record, createdAt, version: nextVersion })
      }
      request.events.forEach((event, i) => {
        indexes.push(tables.events.length)
        tables.events.push({
          position: tables.nextPosition++,
          streamId: request.streamId,
          version: request.expectedVersion + i + 1,
          orgId: request.orgId,
          event,
          occurredAt: request.occurredAt
        })
      })
      tables.streams.set(request.streamId, indexes)
      return Effect.succeed({ nextVersion, lastPosition: tables.nextPosition - 1n })
    })

  const readAll = (after: bigint, limit: number) =>
    Effect.sync(() => tables.events.filter((e) => e.position > after).slice(0, Math.max(0, limit)))

  const newestFirst = (a: SessionRecord, b: SessionRecord): number =>
    b.createdAt.getTime() - a.createdAt.getTime() || compareText(b.sessionId, a.sessionId)

  /** Strictly after `key` in newest-first order. */
  const isAfter = (record: SessionRecord, key: NonNullable<SessionPageRequest["after"]>): boolean =>
    record.createdAt.getTime() < key.createdAt.getTime() ||
    (record.createdAt.getTime() === key.createdAt.getTime() && compareText(record.sessionId, key.sessionId) < 0)

  const listSessions = (request: SessionPageRequest) =>
    Effect.sync(() => {
      const { after } = request
      const rows = [...tables.sessions.values()]
        .filter((r) => r.orgId === request.orgId && (after === null || isAfter(r, after)))
        .sort(newestFirst)
      return { sessions: rows.slice(0, request.pageSize), hasMore: rows.length > request.pageSize }
    })

  return {
    append,
    readStream: (streamId) => Effect.sync(() => streamEvents(streamId)),
    readAll,
    getSession: (sessionId) => Effect.sync(() => Option.fromNullable(tables.sessions.get(sessionId))),
    listSessions,
    sessionsInStatus: (status) =>
      Effect.sync(() => [...tables.sessions.values()].filter((r) => r.status === status).sort((a, b) => newestFirst(b, a))),
    sessionCounts: Effect.sync(() => {
      const counts = { unpaired: 0, pairing: 0, paired: 0, logged_out: 0 }
      for (const record of tables.sessions.values()) counts[record.status] += 1
      return counts
    }),
    ping: Effect.void
  }
}

/** Code-unit order, as PostgreSQL's "C" collation sorts `session_id`. */
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** The event store on tables shared with the other memory stores. */
export const EventStoreMemoryShared: Layer.Layer<EventStore, never, MemoryDatabase> =
  Layer.effect(EventStore, Effect.map(MemoryDatabase, make))

/** A standalone in-memory event store with the SQL store's semantics. */
export const EventStoreMemory: Layer.Layer<EventStore> = Layer.provide(EventStoreMemoryShared, MemoryDatabase.layer)
