import { Clock, Context, Effect, Layer, Option, Schedule, Schema } from "effect"
import { makeMonotonicSessionIds, type OrgId, type SessionId } from "../ids.js"
import {
  EventStore,
  type SessionPage,
  type SessionRecord,
  type StoredEvent,
  StoreUnavailable,
  VersionConflict
} from "../ports/event-store.js"
import { type OwnershipLost, SessionOwnership } from "../ports/session-ownership.js"
import { CreateSession, type SessionCommandOf, type SessionCommandTag } from "../session/commands.js"
import { sessionDecider } from "../session/decider.js"
import { type SessionCommandErrors, SessionNotFound } from "../session/errors.js"
import { fold } from "../session/evolve.js"
import { type ExistingSessionState, isLive, type LiveSessionState, type SessionState } from "../session/state.js"
import { CommandMetadata } from "./command-metadata.js"
import { makeKeyedLock } from "./keyed-lock.js"
import { toRecord } from "./projection.js"

/** A write kept losing the optimistic-concurrency race; the caller may retry. */
export class ConcurrencyConflict extends Schema.TaggedError<ConcurrencyConflict>()("ConcurrencyConflict", {
  sessionId: Schema.String
}) {}

/** What running a command can fail with: its own refusals, or the write not going through. */
export type CommandError<K extends SessionCommandTag> = SessionCommandErrors[K] | ConcurrencyConflict | StoreUnavailable | OwnershipLost

/** A command of the caller's choosing, by its tag (so its errors are known). */
export type CommandInput<K extends SessionCommandTag> = SessionCommandOf<K> & { readonly _tag: K }

export interface CommandOutcome {
  /** The state after the command. */
  readonly state: ExistingSessionState
  /** The stream's version after the command. */
  readonly version: number
  /** The read model after the command; `null` once deleted. */
  readonly record: SessionRecord | null
  readonly events: ReadonlyArray<StoredEvent>
}

/** A live session's state with the version it was folded at. */
export interface LoadedSession {
  readonly state: LiveSessionState
  readonly version: number
}

export interface ListSessionsRequest {
  readonly pageSize: number
  readonly after: { readonly createdAt: Date; readonly sessionId: SessionId } | null
}

/** Conflicts are retried this many times (reload, re-decide) before answering `ConcurrencyConflict`. */
const CONFLICT_RETRIES = 5

export class SessionService extends Context.Tag("wa-gateway/SessionService")<SessionService, {
  readonly create: (orgId: OrgId, name: string) => Effect.Effect<SessionRecord, ConcurrencyConflict | StoreUnavailable | OwnershipLost>
  /** Decides the command on its session (of this org) and appends what it emits. */
  readonly execute: <K extends SessionCommandTag>(orgId: OrgId, command: CommandInput<K>) => Effect.Effect<CommandOutcome, CommandError<K>>
  readonly get: (orgId: OrgId, sessionId: SessionId) => Effect.Effect<SessionRecord, SessionNotFound | StoreUnavailable>
  readonly list: (orgId: OrgId, request: ListSessionsRequest) => Effect.Effect<SessionPage, StoreUnavailable>
  readonly history: (orgId: OrgId, sessionId: SessionId) => Effect.Effect<ReadonlyArray<StoredEvent>, SessionNotFound | StoreUnavailable>
  /** The current state of a live session of the org. */
  readonly load: (orgId: OrgId, sessionId: SessionId) => Effect.Effect<LoadedSession, SessionNotFound | StoreUnavailable>
}>() {
  static readonly Live = Layer.effect(this, Effect.suspend(() => make))
}

const make = Effect.gen(function* () {
  const store = yield* EventStore
  const lock = yield* makeKeyedLock
  const nextSessionId = yield* makeMonotonicSessionIds
  // Only a cluster runner owns sessions; a single process writes unfenced.
  const ownership = yield* Effect.serviceOption(SessionOwnership)
  const fenceOf = (sessionId: SessionId) =>
    Option.match(ownership, { onNone: () => Effect.succeed(Option.none<number>()), onSome: (o) => o.fenceOf(sessionId) })

  const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))

  const loadStream = (sessionId: SessionId) =>
    Effect.map(store.readStream(sessionId), (events) => ({
      events,
      // The version is the envelope's: the last stored event's, 0 for no stream.
      version: events.at(-1)?.version ?? 0,
      state: fold(events.map((e) => e.event), sessionDecider.initialState)
    }))

  /** Another org's session is indistinguishable from a missing one. */
  const visibleTo = (orgId: OrgId, state: SessionState): state is LiveSessionState =>
    isLive(state) && state.orgId === orgId

  const decideAndAppend = <K extends SessionCommandTag>(orgId: OrgId, command: CommandInput<K>) =>
    Effect.gen(function* () {
      const { sessionId } = command
      const { events: history, state, version } = yield* loadStream(sessionId)
      if (command._tag !== "CreateSession" && isLive(state) && state.orgId !== orgId) {
        return yield* Effect.fail(new SessionNotFound({ sessionId }))
      }
      const decided = yield* sessionDecider.decide<K>(command, state)
      const after = fold(decided, state)
      if (after.status === "none") return yield* Effect.dieMessage("a decision left the stream empty")
      const occurredAt = yield* now
      const createdAt = history[0]?.occurredAt ?? occurredAt
      const nextVersion = version + decided.length
      const record = toRecord(after, nextVersion, { createdAt, updatedAt: occurredAt })
      const metadata = yield* CommandMetadata
      const fence = yield* fenceOf(sessionId)
      const result = yield* store.append({
        ...(Option.isSome(fence) ? { fence: fence.value } : {}),
        streamId: sessionId,
        orgId: after.orgId,
        expectedVersion: version,
        events: decided,
        occurredAt,
        record,
        metadata
      })
      const first = result.lastPosition - BigInt(decided.length - 1)
      const events: ReadonlyArray<StoredEvent> = decided.map((event, i) => ({
        position: first + BigInt(i),
        streamId: sessionId,
        version: version + i + 1,
        orgId: after.orgId,
        event,
        occurredAt
      }))
      return { state: after, version: nextVersion, record, events } satisfies CommandOutcome
    })

  const execute = <K extends SessionCommandTag>(orgId: OrgId, command: CommandInput<K>): Effect.Effect<CommandOutcome, CommandError<K>> =>
    decideAndAppend(orgId, command).pipe(
      Effect.retry({ while: (e) => e._tag === "VersionConflict", times: CONFLICT_RETRIES, schedule: Schedule.jittered(Schedule.exponential("2 millis")) }),
      Effect.catchTag("VersionConflict", (e: VersionConflict) => Effect.fail(new ConcurrencyConflict({ sessionId: e.streamId }))),
      lock.withLock(command.sessionId)
    )

  const create = (orgId: OrgId, name: string) =>
    Effect.gen(function* () {
      const sessionId = yield* nextSessionId
      const outcome = yield* execute(orgId, new CreateSession({ sessionId, orgId, name })).pipe(
        // The id was minted just now, monotonic in this process: a stream already there is a bug, not a caller's error.
        Effect.catchTags({ SessionExists: Effect.die, SessionNotFound: Effect.die })
      )
      if (outcome.record === null) return yield* Effect.dieMessage("a created session has no read model")
      return outcome.record
    })

  const get = (orgId: OrgId, sessionId: SessionId) =>
    Effect.flatMap(store.getSession(sessionId), (record) =>
      Option.isSome(record) && record.value.orgId === orgId
        ? Effect.succeed(record.value)
        : Effect.fail(new SessionNotFound({ sessionId })))

  const load = (orgId: OrgId, sessionId: SessionId) =>
    Effect.flatMap(loadStream(sessionId), ({ state, version }) =>
      visibleTo(orgId, state) ? Effect.succeed({ state, version }) : Effect.fail(new SessionNotFound({ sessionId })))

  const history = (orgId: OrgId, sessionId: SessionId) =>
    Effect.flatMap(loadStream(sessionId), ({ events, state }) =>
      visibleTo(orgId, state) ? Effect.succeed(events) : Effect.fail(new SessionNotFound({ sessionId })))

  const list = (orgId: OrgId, request: ListSessionsRequest) =>
    store.listSessions({ orgId, pageSize: request.pageSize, after: request.after })

  return { create, execute, get, list, history, load }
})
