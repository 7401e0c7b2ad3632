import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Layer, Option, TestClock } from "effect"
import { OrgId, PairingAttemptId, PhoneNumber, SessionId } from "../ids.js"
import {
  type AppendRequest,
  EventStore,
  type SessionPageRequest,
  type SessionRecord,
  type StoredEvent,
  StoreUnavailable,
  VersionConflict
} from "../ports/event-store.js"
import { CompletePairing, CreateSession, DeleteSession, Logout, StartCodePairing, StartQrPairing } from "../session/commands.js"
import { SessionOwnership } from "../ports/session-ownership.js"
import { LoggedOut } from "../session/events.js"
import { WaIdentity } from "../session/identity.js"
import { CommandMetadata } from "./command-metadata.js"
import { SessionService } from "./session-service.js"

// SessionService's own logic (ids, org scoping, retries, serialization) over a
// scripted in-test store. The real stores are tested against it in packages/adapters.

const acme = OrgId.make("acme")
const globex = OrgId.make("globex")
const attemptId = PairingAttemptId.make("pair_01HZX8K3M9ABCDEFGHJKMNPQRS")
const identity = new WaIdentity({
  phoneNumber: PhoneNumber.make("628123456789"),
  waJid: "628123456789:12@s.whatsapp.net",
  waLid: null,
  pushName: "Acme Support"
})

interface ScriptedStore {
  readonly appends: Array<AppendRequest>
  readonly pageRequests: Array<SessionPageRequest>
  readStreams: number
  /** Runs before an append is checked, e.g. to fail it or to let a concurrent writer in first. */
  beforeAppend: (request: AppendRequest) => Effect.Effect<void, VersionConflict | StoreUnavailable>
  /** Appends straight to the log, as another process would. */
  readonly write: (request: AppendRequest) => void
}

const makeStore = () => {
  const streams = new Map<string, Array<StoredEvent>>()
  const records = new Map<string, SessionRecord>()
  let position = 100n
  const write = (request: AppendRequest) => {
    const stream = streams.get(request.streamId) ?? []
    for (const event of request.events) {
      position += 10n
      stream.push({ position, streamId: request.streamId, version: stream.length + 1, orgId: request.orgId, event, occurredAt: request.occurredAt })
    }
    streams.set(request.streamId, stream)
    if (request.record === null) records.delete(request.streamId)
    else records.set(request.streamId, request.record)
  }
  const script: ScriptedStore = { appends: [], pageRequests: [], readStreams: 0, beforeAppend: () => Effect.void, write }
  const layer = Layer.succeed(EventStore, {
    append: (request) =>
      Effect.gen(function* () {
        script.appends.push(request)
        yield* script.beforeAppend(request)
        if ((streams.get(request.streamId)?.length ?? 0) !== request.expectedVersion) {
          return yield* Effect.fail(new VersionConflict({ streamId: request.streamId, expectedVersion: request.expectedVersion }))
        }
        write(request)
        return { nextVersion: streams.get(request.streamId)?.length ?? 0, lastPosition: position }
      }),
    readStream: (streamId) => Effect.sync(() => (script.readStreams++, [...(streams.get(streamId) ?? [])])),
    readAll: () => Effect.succeed([]),
    getSession: (sessionId) => Effect.sync(() => Option.fromNullable(records.get(sessionId))),
    listSessions: (request) => Effect.sync(() => (script.pageRequests.push(request), { sessions: [...records.values()], hasMore: true })),
    sessionsInStatus: () => Effect.succeed([]),
    sessionCounts: Effect.succeed({ unpaired: 0, pairing: 0, paired: 0, logged_out: 0 }),
    ping: Effect.void
  })
  return { script, layer: SessionService.Live.pipe(Layer.provide(layer)) }
}

/** Runs a test against a fresh service and its scripted store. */
const withService = <A, E>(f: (service: SessionService["Type"], store: ScriptedStore) => Effect.Effect<A, E>) =>
  Effect.suspend(() => {
    const { script, layer } = makeStore()
    return Effect.flatMap(SessionService, (service) => f(service, script)).pipe(Effect.provide(layer))
  })

const failureOf = <A, E>(effect: Effect.Effect<A, E>) => Effect.flip(effect)

describe("SessionService", () => {
  it.effect("creates an unpaired session with a fresh id, at the clock's time", () =>
    withService((service, store) =>
      Effect.gen(function* () {
        yield* TestClock.setTime(1_700_000_000_000)
        const record = yield* service.create(acme, "support line")
        const at = new Date(1_700_000_000_000)
        expect(record).toEqual({
          sessionId: record.sessionId,
          orgId: acme,
          name: "support line",
          status: "unpaired",
          identity: null,
          createdAt: at,
          updatedAt: at,
          version: 1
        })
        expect(SessionId.make(record.sessionId)).toBe(record.sessionId)
        expect(store.appends).toHaveLength(1)
        expect(store.appends[0]).toMatchObject({ streamId: record.sessionId, orgId: acme, expectedVersion: 0, occurredAt: at, record })
        expect(store.appends[0]?.events.map((e) => e._tag)).toEqual(["SessionCreated"])
        expect(record.sessionId).not.toBe((yield* service.create(acme, "another")).sessionId)
      })))

  it.effect("executes a command on the current state and returns the new state, row and stored events", () =>
    withService((service, store) =>
      Effect.gen(function* () {
        yield* TestClock.setTime(1_000)
        const { sessionId } = yield* service.create(acme, "support line")
        yield* TestClock.setTime(5_000)
        const outcome = yield* service.execute(acme, new StartQrPairing({ sessionId, attemptId }))
        expect(outcome.state).toMatchObject({ status: "pairing", pairing: { attemptId } })
        expect(outcome.version).toBe(2)
        expect(outcome.record).toMatchObject({ status: "pairing", version: 2, createdAt: new Date(1_000), updatedAt: new Date(5_000) })
        expect(outcome.events).toEqual([{
          position: 120n,
          streamId: sessionId,
          version: 2,
          orgId: acme,
          event: store.appends[1]?.events[0],
          occurredAt: new Date(5_000)
        }])
        expect(store.appends[1]).toMatchObject({ expectedVersion: 1, record: outcome.record })

        const paired = yield* service.execute(acme, new CompletePairing({ sessionId, attemptId, identity }))
        expect(paired.record).toMatchObject({ status: "paired", version: 3, identity: { phoneNumber: "628123456789", pushName: "Acme Support" } })
        expect(paired.version).toBe(3)
        expect(paired.events.map((e) => [e.version, e.position])).toEqual([[3, 130n]])
      })))

  it.effect("fails with the domain's error and appends nothing when the command is refused", () =>
    withService((service, store) =>
      Effect.gen(function* () {
        const { sessionId } = yield* service.create(acme, "x")
        const error = yield* failureOf(service.execute(acme, new Logout({ sessionId, by: "user" })))
        expect(error).toMatchObject({ _tag: "NotPaired", sessionId })
        expect(store.appends).toHaveLength(1)
      })))

  it.effect("treats another org's session as missing, on every operation", () =>
    withService((service, store) =>
      Effect.gen(function* () {
        const { sessionId } = yield* service.create(acme, "x")
        const notFound = { _tag: "SessionNotFound", sessionId }
        expect(yield* failureOf(service.execute(globex, new StartQrPairing({ sessionId, attemptId })))).toMatchObject(notFound)
        expect(yield* failureOf(service.execute(globex, new DeleteSession({ sessionId })))).toMatchObject(notFound)
        expect(yield* failureOf(service.get(globex, sessionId))).toMatchObject(notFound)
        expect(yield* failureOf(service.load(globex, sessionId))).toMatchObject(notFound)
        expect(yield* failureOf(service.history(globex, sessionId))).toMatchObject(notFound)
        expect(store.appends).toHaveLength(1)
        // …while the owner sees it.
        expect((yield* service.get(acme, sessionId)).sessionId).toBe(sessionId)
        expect((yield* service.load(acme, sessionId)).state.status).toBe("unpaired")
        expect((yield* service.history(acme, sessionId)).map((e) => e.event._tag)).toEqual(["SessionCreated"])
      })))

  it.effect("never lets another org create over an existing session", () =>
    withService((service, store) =>
      Effect.gen(function* () {
        const { sessionId } = yield* service.create(acme, "x")
        const error = yield* failureOf(service.execute(globex, new CreateSession({ sessionId, orgId: globex, name: "y" })))
        expect(error).toMatchObject({ _tag: "SessionExists", sessionId })
        expect(store.appends).toHaveLength(1)
        expect((yield* service.get(acme, sessionId)).name).toBe("x")
      })))

  it.effect("answers SessionNotFound for a session that never existed", () =>
    withService((service) =>
      Effect.gen(function* () {
        const sessionId = SessionId.make("sess_01HZX8K3M9ABCDEFGHJKMNPQRS")
        const notFound = { _tag: "SessionNotFound", sessionId }
        expect(yield* failureOf(service.get(acme, sessionId))).toMatchObject(notFound)
        expect(yield* failureOf(service.load(acme, sessionId))).toMatchObject(notFound)
        expect(yield* failureOf(service.history(acme, sessionId))).toMatchObject(notFound)
        expect(yield* failureOf(service.execute(acme, new StartQrPairing({ sessionId, attemptId })))).toMatchObject(notFound)
      })))

  it.effect("erases the read model on delete, after which the session is gone", () =>
    withService((service, store) =>
      Effect.gen(function* () {
        const { sessionId } = yield* service.create(acme, "x")
        const outcome = yield* service.execute(acme, new DeleteSession({ sessionId }))
        expect(outcome.record).toBeNull()
        expect(outcome.state.status).toBe("deleted")
        expect(store.appends[1]).toMatchObject({ record: null, expectedVersion: 1 })
        expect(yield* failureOf(service.get(acme, sessionId))).toMatchObject({ _tag: "SessionNotFound" })
        expect(yield* failureOf(service.load(acme, sessionId))).toMatchObject({ _tag: "SessionNotFound" })
        expect(yield* failureOf(service.history(acme, sessionId))).toMatchObject({ _tag: "SessionNotFound" })
        expect(yield* failureOf(service.execute(acme, new DeleteSession({ sessionId })))).toMatchObject({ _tag: "SessionNotFound" })
      })))

  it.effect("lists the org's sessions through the store", () =>
    withService((service, store) =>
      Effect.gen(function* () {
        const record = yield* service.create(acme, "x")
        const after = { createdAt: new Date(0), sessionId: record.sessionId }
        const page = yield* service.list(acme, { pageSize: 7, after })
        expect(page).toEqual({ sessions: [record], hasMore: true })
        expect(store.pageRequests).toEqual([{ orgId: acme, pageSize: 7, after }])
      })))

  it.effect("hands the store the metadata of the context with every append, and none without", () =>
    withService((service, store) =>
      Effect.gen(function* () {
        const { sessionId } = yield* service.create(acme, "audited")
        yield* service.execute(acme, new StartQrPairing({ sessionId, attemptId })).pipe(
          Effect.provideService(CommandMetadata, { actor: "engine", correlationId: "req-7" })
        )
        expect(store.appends.map((a) => a.metadata)).toEqual([{}, { actor: "engine", correlationId: "req-7" }])
      })))

  it.live("retries a conflicting append on the reloaded stream", () =>
    withService((service, store) =>
      Effect.gen(function* () {
        const { sessionId } = yield* service.create(acme, "x")
        let conflicts = 3
        store.beforeAppend = (request) =>
          conflicts-- > 0 ? Effect.fail(new VersionConflict({ streamId: request.streamId, expectedVersion: request.expectedVersion })) : Effect.void
        const outcome = yield* service.execute(acme, new StartQrPairing({ sessionId, attemptId }))
        expect(outcome.state).toMatchObject({ status: "pairing" })
        expect(outcome.version).toBe(2)
        expect(store.appends).toHaveLength(1 + 4)
      })))

  it.live("re-decides after a concurrent writer changed the session", () =>
    withService((service, store) =>
      Effect.gen(function* () {
        const { sessionId } = yield* service.create(acme, "x")
        yield* service.execute(acme, new StartQrPairing({ sessionId, attemptId }))
        yield* service.execute(acme, new CompletePairing({ sessionId, attemptId, identity }))
        let raced = false
        store.beforeAppend = (request) =>
          Effect.sync(() => {
            // The phone logs the device out between our load and our append.
            if (!raced) store.write({ ...request, events: [new LoggedOut({ by: "device" })], expectedVersion: request.expectedVersion })
            raced = true
          })
        const error = yield* failureOf(service.execute(acme, new Logout({ sessionId, by: "user" })))
        expect(error).toMatchObject({ _tag: "NotPaired", sessionId })
        expect(store.appends).toHaveLength(4)
      })))

  it.live("gives up with ConcurrencyConflict after five retries", () =>
    withService((service, store) =>
      Effect.gen(function* () {
        const { sessionId } = yield* service.create(acme, "x")
        store.beforeAppend = (request) => Effect.fail(new VersionConflict({ streamId: request.streamId, expectedVersion: request.expectedVersion }))
        const error = yield* failureOf(service.execute(acme, new StartQrPairing({ sessionId, attemptId })))
        expect(error).toMatchObject({ _tag: "ConcurrencyConflict", sessionId })
        expect(store.appends).toHaveLength(1 + 6)
      })))

  it.live("does not retry when the store is unavailable", () =>
    withService((service, store) =>
      Effect.gen(function* () {
        const { sessionId } = yield* service.create(acme, "x")
        store.beforeAppend = () => Effect.fail(new StoreUnavailable({ message: "down" }))
        const error = yield* failureOf(service.execute(acme, new StartQrPairing({ sessionId, attemptId })))
        expect(error).toMatchObject({ _tag: "StoreUnavailable", message: "down" })
        expect(store.appends).toHaveLength(2)
      })))

  it.effect("hands the store the fence of the session's owner with every append, and none in a single process", () =>
    Effect.gen(function* () {
      const { script, layer } = makeStore()
      const fences = new Map<string, number>()
      // A cluster runner's ownership: each session under its own epoch, asked for at every append.
      const owned = Layer.provide(layer, Layer.succeed(SessionOwnership, {
        fenceOf: (sessionId) => Effect.sync(() => Option.fromNullable(fences.get(sessionId)))
      }))
      yield* Effect.gen(function* () {
        const service = yield* SessionService
        const unowned = yield* service.create(acme, "not owned")
        const { sessionId } = yield* service.create(acme, "owned")
        fences.set(sessionId, 7)
        yield* service.execute(acme, new StartQrPairing({ sessionId, attemptId }))
        fences.set(sessionId, 8)
        yield* service.execute(acme, new DeleteSession({ sessionId }))
        expect(script.appends.map((a) => [a.streamId === unowned.sessionId ? "unowned" : "owned", a.fence])).toEqual([
          ["unowned", undefined], ["owned", undefined], ["owned", 7], ["owned", 8]
        ])
      }).pipe(Effect.provide(owned))
      // The same service without an ownership writes unfenced.
      yield* withService((service, store) =>
        Effect.map(service.create(acme, "single process"), () => expect(store.appends.map((a) => a.fence)).toEqual([undefined])))
    }))

  it.effect("runs the commands of one session one at a time", () =>
    withService((service, store) =>
      Effect.gen(function* () {
        const { sessionId } = yield* service.create(acme, "x")
        const other = yield* service.create(acme, "y")
        const gate = yield* Deferred.make<void>()
        store.beforeAppend = (request) => (request.streamId === sessionId ? Deferred.await(gate) : Effect.void)
        const readsBefore = store.readStreams
        const first = yield* Effect.fork(service.execute(acme, new StartQrPairing({ sessionId, attemptId })))
        const second = yield* Effect.fork(service.execute(acme, new StartCodePairing({ sessionId, attemptId, phone: "628123456789" })))
        yield* Effect.repeatN(Effect.yieldNow(), 50)
        // The second command has not even loaded the stream while the first is appending…
        expect(store.readStreams - readsBefore).toBe(1)
        // …but another session is not held up.
        expect((yield* service.execute(acme, new DeleteSession({ sessionId: other.sessionId }))).state.status).toBe("deleted")
        yield* Deferred.succeed(gate, undefined)
        const outcomes = yield* Fiber.join(Fiber.zip(first, second))
        expect(outcomes.map((o) => o.version)).toEqual([2, 3])
        expect(Exit.isSuccess(yield* Effect.exit(service.load(acme, sessionId)))).toBe(true)
      })))
})
