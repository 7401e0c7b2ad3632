import { Context, Effect, Layer, Option, PubSub, type Queue, Schedule, type Scope, Stream } from "effect"
import {
  CompletePairing,
  EngineEvent,
  type EngineError,
  EventStore,
  FailPairing,
  Logout,
  type SessionCommand,
  SessionEngine,
  type SessionId,
  SessionService
} from "@wa-gateway/domain"

export interface SupervisorOptions {
  /** How many paired sessions are resumed at once on boot. */
  readonly resumeConcurrency?: number
}

/**
 * Engine ⇄ domain: turns what the engine reports into domain commands, keeps
 * the runtime `connected` registry, resumes paired sessions on boot and
 * purges the engine when a session is deleted.
 */
export class SessionSupervisor extends Context.Tag("wa-gateway/SessionSupervisor")<SessionSupervisor, {
  /** Whether the session's socket is up now (runtime state, not an event). */
  readonly isConnected: (sessionId: SessionId) => Effect.Effect<boolean>
  /** The user logged the session out: its socket is gone. */
  readonly loggedOut: (sessionId: SessionId) => Effect.Effect<void>
  /** The session was deleted: closes its socket and removes its keys on the engine. */
  readonly deleted: (sessionId: SessionId) => Effect.Effect<void, EngineError>
  /**
   * Engine events once handled (their command appended or refused), for a
   * caller that must wait until one took effect. Subscribe before causing it.
   */
  readonly handled: Effect.Effect<Queue.Dequeue<EngineEvent>, never, Scope.Scope>
}>() {
  static readonly layer = (options: SupervisorOptions = {}) => Layer.scoped(this, Effect.suspend(() => make(options)))
  static readonly Live = this.layer()
}

const make = (options: SupervisorOptions) =>
  Effect.gen(function* () {
    const engine = yield* SessionEngine
    const store = yield* EventStore
    const sessions = yield* SessionService
    const connected = new Set<SessionId>()
    const handled = yield* PubSub.unbounded<EngineEvent>()

    /**
     * Runs a command on behalf of the engine, in the session's own org.
     * Never fails: a session that is gone or refuses is logged and ignored.
     * Returns whether the command was accepted.
     */
    const command = (sessionId: SessionId, cmd: SessionCommand): Effect.Effect<boolean> =>
      Effect.gen(function* () {
        const record = yield* store.getSession(sessionId)
        if (Option.isNone(record)) {
          yield* Effect.logInfo(`engine reported ${cmd._tag} for a session that no longer exists; ignored`)
          return false
        }
        yield* sessions.execute(record.value.orgId, sessionId, cmd)
        return true
      }).pipe(
        Effect.retry({
          while: (e) => e._tag === "StoreUnavailable",
          schedule: Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(5)))
        }),
        Effect.catchAll((e) =>
          Effect.as(
            e._tag === "StoreUnavailable" || e._tag === "ConcurrencyConflict"
              ? Effect.logError(`engine event lost: ${cmd._tag} could not be recorded`, e)
              : Effect.logInfo(`engine reported ${cmd._tag}, which the session refuses (${e._tag}); ignored`),
            false
          )),
        Effect.annotateLogs({ sessionId })
      )

    const setConnected = (sessionId: SessionId, up: boolean) =>
      Effect.sync(() => (up ? connected.add(sessionId) : connected.delete(sessionId)))

    const handle = (event: EngineEvent): Effect.Effect<void> =>
      EngineEvent.$match(event, {
        QrUpdated: () => Effect.void,
        PairingCodeIssued: () => Effect.void,
        Paired: ({ identity, sessionId }) =>
          Effect.gen(function* () {
            yield* setConnected(sessionId, true)
            if (yield* command(sessionId, new CompletePairing({ identity }))) return
            // The phone linked a device the session no longer wants: unlink it rather than keep a stray socket.
            yield* setConnected(sessionId, false)
            yield* Effect.catchAll(engine.logout(sessionId), (e) => Effect.logWarning("could not unlink a stray device", e))
          }),
        Connected: ({ sessionId }) => setConnected(sessionId, true),
        Disconnected: ({ sessionId }) => setConnected(sessionId, false),
        LoggedOutByDevice: ({ sessionId }) =>
          Effect.zipRight(setConnected(sessionId, false), command(sessionId, new Logout({ by: "device" }))),
        PairingFailed: ({ reason, sessionId }) =>
          Effect.gen(function* () {
            // A pairing restarted since this failure (e.g. a QR fetched right at expiry) is showing a
            // new challenge: the failure is of the old attempt and must not fail the new one.
            if (Option.isSome(yield* engine.currentChallenge(sessionId))) {
              return yield* Effect.logDebug("pairing failure of an earlier attempt; ignored").pipe(Effect.annotateLogs({ sessionId }))
            }
            yield* command(sessionId, new FailPairing({ reason }))
          })
      })

    yield* engine.events.pipe(
      Stream.runForEach((event) =>
        handle(event).pipe(
          Effect.catchAllCause((cause) => Effect.logError(`handling ${event._tag} failed`, cause)),
          Effect.zipRight(PubSub.publish(handled, event))
        )),
      Effect.forkScoped
    )

    // Boot: paired sessions reconnect; a pairing from before the restart has
    // no challenge on the engine any more, so it has expired.
    const boot = Effect.gen(function* () {
      const concurrency = options.resumeConcurrency ?? 16
      const paired = yield* store.sessionsInStatus("paired")
      yield* Effect.forEach(
        paired,
        (record) =>
          Effect.catchAll(engine.resume(record.sessionId), (e) =>
            Effect.logWarning("could not resume a paired session", e).pipe(Effect.annotateLogs({ sessionId: record.sessionId }))),
        { concurrency, discard: true }
      )
      const stale = yield* store.sessionsInStatus("pairing")
      yield* Effect.forEach(stale, (record) => command(record.sessionId, new FailPairing({ reason: "expired" })), { concurrency, discard: true })
      yield* Effect.logInfo(`supervisor started: ${paired.length} paired session(s) resumed on ${engine.name}`)
    })
    yield* Effect.catchAll(boot, (e) => Effect.logError("supervisor could not read the sessions to resume", e))

    return {
      isConnected: (sessionId) => Effect.sync(() => connected.has(sessionId)),
      loggedOut: (sessionId) => Effect.asVoid(setConnected(sessionId, false)),
      deleted: (sessionId) => Effect.zipRight(setConnected(sessionId, false), engine.purge(sessionId)),
      handled: PubSub.subscribe(handled)
    } satisfies Context.Tag.Service<SessionSupervisor>
  })
