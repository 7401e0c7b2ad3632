import { Entity } from "@effect/cluster"
import {
  CommandMetadata,
  type EngineEvent,
  EventStore,
  FailPairing,
  SessionEngine,
  SessionId,
  SessionService
} from "@wa-gateway/domain"
import { Deferred, Duration, Effect, ExecutionStrategy, Option, Queue, Schedule, Schema, Scope } from "effect"
import { SessionSupervisor } from "../engine/session-supervisor.js"
import { makeSessionCommands } from "../gateway/session-commands.js"
import { SessionFences } from "./session-fences.js"
import { WaSession } from "./wa-session-entity.js"

/** How long a stopping entity waits for its socket's last change to be recorded (the store may be what failed). */
const LAST_RECORD_BOUND = Duration.seconds(2)

/** The store is needed to start at all: tried again, capped, for as long as the entity is wanted. */
const untilStored = Schedule.exponential("100 millis").pipe(Schedule.either(Schedule.spaced("2 seconds")), Schedule.jittered)

/**
 * A session's entity on the runner that owns its shard. Starting it takes
 * the session's fence, then expires a pairing left by a former owner or
 * reconnects a paired session, all in the background; a pairing or paired session
 * keeps its entity alive. Its scope closing (the shard moved, the runner
 * stops, the shard lock was lost) closes the socket before the fence is let
 * go, and so before this runner could write anything more for it.
 */
export const WaSessionLive = WaSession.toLayer(
  Effect.gen(function* () {
    const address = yield* Entity.CurrentAddress
    const sessionId = yield* Schema.decodeUnknown(SessionId)(address.entityId).pipe(Effect.orDie)
    const fences = yield* SessionFences
    const engine = yield* SessionEngine
    const store = yield* EventStore
    const sessions = yield* SessionService
    const commands = yield* makeSessionCommands
    // Entity.keepAlive needs the entity's own context (its latch, address, sharding).
    const context = yield* Effect.context<Entity.CurrentAddress>()
    const keepAlive = (on: boolean) => Effect.provide(Entity.keepAlive(on), context)
    const supervisor = yield* SessionSupervisor

    // The socket closes, and its last `Disconnected` is recorded while this runner's fence is still the
    // session's current one (the supervisor records a change only then). Recorded after the fence, it
    // would be refused; and were it not, it could land after the new owner's `Connected`.
    const stop = Effect.scoped(Effect.gen(function* () {
      const recorded = yield* supervisor.handledOf(sessionId)
      const connected = yield* engine.isConnected(sessionId)
      yield* engine.stop(sessionId)
      if (!connected) return
      yield* Queue.take(recorded).pipe(
        Effect.repeat({ until: (event) => event._tag === "Disconnected" }),
        // A finalizer runs uninterruptibly: without this the bound could not cut the wait short (and a
        // supervisor already stopped would never answer it).
        Effect.interruptible,
        Effect.timeout(LAST_RECORD_BOUND),
        Effect.ignore
      )
    }))

    // A paired or pairing session keeps its entity alive; once the device has logged out or the pairing
    // has failed (the supervisor has recorded it), the entity may go idle and be let go.
    const letGoWhenDone = (events: Queue.Dequeue<EngineEvent>) =>
      Effect.forever(Effect.gen(function* () {
        const event = yield* Queue.take(events)
        if (event._tag !== "LoggedOutByDevice" && event._tag !== "PairingFailed") return
        const record = yield* store.getSession(sessionId)
        const status = Option.map(record, (r) => r.status)
        if (!Option.contains(status, "paired") && !Option.contains(status, "pairing")) yield* keepAlive(false)
      }).pipe(Effect.catchAll((e) => Effect.logWarning("could not read the session's status after an engine event", e))))

    // The entity is built in the cluster's one storage-read loop, one entity after another: building it
    // does no I/O, so a runner that takes over many sessions starts them all at once. The fence, the
    // activation and the reconnection run in `startup`; a command waits until the first two are done.
    const ready = yield* Deferred.make<void>()
    // Finalizers run in reverse: the startup is interrupted, then the socket closes, then the fence is let go.
    const fenceScope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
    yield* Effect.addFinalizer(() => stop)
    // What the supervisor has recorded of this session's engine events, from the entity's start on.
    const handled = yield* supervisor.handledOf(sessionId)

    const startup = Effect.gen(function* () {
      const fence = yield* fences.hold(sessionId).pipe(
        Effect.tapError((e) => Effect.logWarning("could not take the session's fence yet; retrying", e)),
        Effect.retry(untilStored),
        Scope.extend(fenceScope)
      )
      // Decided before any message is handled, so a command that starts a pairing now never races it.
      const activate = Effect.gen(function* () {
        const record = yield* store.getSession(sessionId)
        if (Option.isNone(record)) return "idle" as const
        const { orgId, status } = record.value
        if (status === "pairing") {
          // A pairing of a former owner: its challenge died with that owner's socket.
          const { state } = yield* sessions.load(orgId, sessionId)
          if (state.status === "pairing") {
            const { attemptId } = state.pairing
            yield* Effect.provideService(
              sessions.execute(orgId, attemptId === null ? new FailPairing({ sessionId, reason: "expired" }) : new FailPairing({ sessionId, attemptId, reason: "expired" })),
              CommandMetadata,
              { actor: "engine" }
            ).pipe(Effect.catchTags({ NotPairing: () => Effect.void, StalePairingAttempt: () => Effect.void }))
          }
          return "idle" as const
        }
        return status === "paired" ? "resume" as const : "idle" as const
      }).pipe(
        Effect.tapError((e) => Effect.logWarning("could not start the session on this runner yet; retrying", e)),
        Effect.retry(untilStored),
        Effect.catchAll((e) => Effect.as(Effect.logError("the session was not started on this runner", e), "idle" as const)),
        Effect.annotateLogs({ sessionId, fence: Option.getOrElse(fence, () => 0) })
      )
      const next = yield* activate
      yield* Deferred.succeed(ready, undefined)
      // A paired session stays alive and reconnects. keepAlive messages the entity itself through the
      // cluster's message table: not something the login should wait behind when a runner takes over many.
      if (next === "resume") {
        yield* Effect.all([
          keepAlive(true),
          engine.resume(sessionId).pipe(Effect.catchAll((e) => Effect.logWarning("could not resume the session", e)), Effect.annotateLogs({ sessionId }))
        ], { concurrency: "unbounded", discard: true })
      }
    })
    yield* Effect.forkScoped(letGoWhenDone(handled))
    yield* Effect.forkScoped(startup.pipe(Effect.tapErrorCause((cause) => Effect.logError("the session did not start on this runner", cause))))
    const once = <A, E, R>(command: Effect.Effect<A, E, R>) => Effect.zipRight(Deferred.await(ready), command)

    return WaSession.of({
      Ensure: () => Effect.void,
      Qr: ({ payload }) => once(Effect.tap(commands.qr(payload.orgId, sessionId), () => keepAlive(true))),
      RequestPairingCode: ({ payload }) =>
        once(Effect.tap(commands.requestPairingCode(payload.orgId, sessionId, payload.phone), () => keepAlive(true))),
      Logout: ({ payload }) => once(Effect.tap(commands.logout(payload.orgId, sessionId), () => keepAlive(false))),
      Delete: ({ payload }) => once(Effect.tap(commands.delete(payload.orgId, sessionId), () => keepAlive(false)))
    })
  })
)
