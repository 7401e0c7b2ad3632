import { Clock, Context, Effect, FiberMap, Layer, Option, PubSub, Queue, Ref, Schedule, type Scope, Stream } from "effect"
import {
  CommandMetadata,
  CompletePairing,
  EngineEvent,
  type EngineError,
  EventStore,
  FailPairing,
  Logout,
  type OrgId,
  type SessionId,
  SessionEngine,
  SessionService,
  toStorableText,
  WaIdentity
} from "@wa-gateway/domain"
import { type ConnectionChange, ConnectionLog } from "../store/connection-log.js"
import { engineEventSummary } from "./engine-event-summary.js"
import { SocketAdmission } from "./socket-admission.js"

export interface SupervisorOptions {
  /** How many paired sessions are resumed at once on boot (default 8). */
  readonly resumeConcurrency?: number
  /**
   * Whether this process resumes every paired session (and expires the
   * pairings left from before) on boot; default true. A cluster runner does
   * not: each session's entity does it where the session is placed.
   */
  readonly resumeOnBoot?: boolean
}

/** The boot pass: how many paired sessions it found and how many are still to resume. */
export interface ResumeProgress {
  readonly total: number
  readonly pending: number
  readonly done: boolean
  /** How long the pass took, once done. */
  readonly durationMs: number | null
}

/**
 * Engine ⇄ domain: turns what the engine reports into domain commands, each
 * session's events in order and on a fiber of its own (one session whose
 * store write is retrying never holds up another's), resumes paired sessions
 * on boot in the background, and purges the engine when a session is deleted.
 */
export class SessionSupervisor extends Context.Tag("wa-gateway/SessionSupervisor")<SessionSupervisor, {
  /** The session was deleted: closes its socket and removes its keys on the engine. */
  readonly deleted: (sessionId: SessionId) => Effect.Effect<void, EngineError>
  /**
   * Engine events once handled (their command appended or refused), for a
   * caller that must wait until one took effect. Subscribe before causing it.
   */
  readonly handled: Effect.Effect<Queue.Dequeue<EngineEvent>, never, Scope.Scope>
  /** `handled`, of one session only: what a session's own entity waits on (it never sees the others'). */
  readonly handledOf: (sessionId: SessionId) => Effect.Effect<Queue.Dequeue<EngineEvent>, never, Scope.Scope>
  /** For `/readyz`: the boot pass's progress. */
  readonly resumeProgress: Effect.Effect<ResumeProgress>
}>() {
  static readonly layer = (options: SupervisorOptions = {}) => Layer.scoped(this, Effect.suspend(() => make(options)))
  static readonly Live = this.layer()
}

export const DEFAULT_RESUME_CONCURRENCY = 8

/** A store write that cannot go through now is retried until it can: capped backoff, for as long as the process runs. */
const untilStored = Schedule.exponential("100 millis").pipe(
  Schedule.either(Schedule.spaced("5 seconds")),
  Schedule.jittered
)

/** What the engine reports is recorded as the engine's doing, not a caller's. */
const engineActor = { actor: "engine" } as const

/** WhatsApp's text made storable (a push name with a NUL must not lose the pairing). */
const storableIdentity = (identity: WaIdentity): WaIdentity =>
  new WaIdentity({
    phoneNumber: identity.phoneNumber,
    waJid: toStorableText(identity.waJid),
    waLid: identity.waLid === null ? null : toStorableText(identity.waLid),
    pushName: identity.pushName === null ? null : toStorableText(identity.pushName)
  })

const make = (options: SupervisorOptions) =>
  Effect.gen(function* () {
    const engine = yield* SessionEngine
    const store = yield* EventStore
    const sessions = yield* SessionService
    const connections = yield* ConnectionLog
    const handled = yield* PubSub.unbounded<EngineEvent>()
    // A cluster runner records a socket change only while it owns the session: a former owner's
    // late report (its socket replaced while it was paused) must not overwrite the new owner's.
    const admission = yield* Effect.serviceOption(SocketAdmission)
    const owned = (sessionId: SessionId) => Option.match(admission, { onNone: () => Effect.succeed(true), onSome: (a) => a.admit(sessionId) })

    /**
     * Runs a command on behalf of the engine, in the session's own org.
     * Store trouble is retried until it passes; a refusal (the session is
     * gone, or no longer in that state) is logged and answered `false`.
     */
    const command = (
      sessionId: SessionId,
      cmd: CompletePairing | FailPairing | Logout
    ): Effect.Effect<boolean> =>
      Effect.gen(function* () {
        const record = yield* store.getSession(sessionId)
        if (Option.isNone(record)) {
          yield* Effect.logInfo(`engine reported ${cmd._tag} for a session that no longer exists; ignored`)
          return false
        }
        yield* sessions.execute(record.value.orgId, cmd)
        return true
      }).pipe(
        Effect.provideService(CommandMetadata, engineActor),
        Effect.tapError((e) =>
          e._tag === "StoreUnavailable" || e._tag === "ConcurrencyConflict"
            ? Effect.logWarning(`engine event ${cmd._tag} not recorded yet; retrying until the store takes it`, e)
            : Effect.void),
        Effect.retry({ while: (e) => e._tag === "StoreUnavailable" || e._tag === "ConcurrencyConflict", schedule: untilStored }),
        Effect.catchAll((e) => Effect.as(Effect.logInfo(`engine reported ${cmd._tag}, which the session refuses (${e._tag}); ignored`), false)),
        Effect.annotateLogs({ sessionId })
      )

    /**
     * A socket change of a session that exists, recorded before anything is
     * dispatched (webhooks deliver it even after a kill -9): in the connection
     * log, so the session's stream and version are untouched.
     */
    const recordConnection = (sessionId: SessionId, change: ConnectionChange): Effect.Effect<void> =>
      Effect.gen(function* () {
        // Both at once: a runner that stops or takes over many sessions records as many changes at once.
        const [mine, record] = yield* Effect.all([owned(sessionId), store.getSession(sessionId)], { concurrency: 2 })
        if (!mine) {
          return yield* Effect.logWarning(`connection change ${change._tag} not recorded: refused by the ownership fence, another process owns the session`)
        }
        if (Option.isNone(record)) return
        const occurredAt = new Date(yield* Clock.currentTimeMillis)
        yield* connections.record({ sessionId, orgId: record.value.orgId, change, status: record.value.status, occurredAt })
      }).pipe(
        Effect.tapError((e) => Effect.logWarning(`connection change ${change._tag} not recorded yet; retrying until the store takes it`, e)),
        Effect.retry(untilStored),
        // The schedule never ends; this only satisfies the type.
        Effect.catchAll((e) => Effect.logError(`connection change ${change._tag} was not recorded`, e)),
        Effect.annotateLogs({ sessionId })
      )

    const handle = (event: EngineEvent): Effect.Effect<void> =>
      EngineEvent.$match(event, {
        QrUpdated: () => Effect.void,
        PairingCodeIssued: () => Effect.void,
        Paired: ({ attemptId, identity, sessionId }) =>
          Effect.gen(function* () {
            if (yield* command(sessionId, new CompletePairing({ sessionId, attemptId, identity: storableIdentity(identity) }))) return
            // The phone linked a device the session no longer wants (deleted, or another attempt): unlink it.
            yield* Effect.catchAll(engine.logout(sessionId), (e) => Effect.logWarning("could not unlink a stray device", e))
          }),
        Connected: ({ sessionId }) => recordConnection(sessionId, { _tag: "Connected" }),
        Disconnected: ({ cause, sessionId, willReconnect }) => recordConnection(sessionId, { _tag: "Disconnected", cause, willReconnect }),
        LoggedOutByDevice: ({ sessionId }) => Effect.asVoid(command(sessionId, new Logout({ sessionId, by: "device" }))),
        PairingFailed: ({ attemptId, reason, sessionId }) =>
          Effect.asVoid(command(sessionId, new FailPairing({ sessionId, attemptId, reason })))
      })

    /**
     * A pairing from before the restart: failed by its attempt id, and only
     * when the engine shows no challenge for that attempt, so a pairing a
     * caller started since is left alone. Store trouble fails it (the pass
     * is retried as a whole); a refusal means there is nothing to expire.
     */
    const expireStalePairing = (sessionId: SessionId, orgId: OrgId) =>
      Effect.gen(function* () {
        const { state } = yield* sessions.load(orgId, sessionId)
        if (state.status !== "pairing") return
        const { attemptId } = state.pairing
        const showing = yield* engine.currentChallenge(sessionId)
        if (Option.isSome(showing) && showing.value.attemptId === attemptId) return
        yield* Effect.provideService(sessions.execute(
          orgId,
          attemptId === null
            ? new FailPairing({ sessionId, reason: "expired" })
            : new FailPairing({ sessionId, attemptId, reason: "expired" })
        ), CommandMetadata, engineActor)
      }).pipe(
        Effect.catchTags({ SessionNotFound: () => Effect.void, NotPairing: () => Effect.void, StalePairingAttempt: () => Effect.void }),
        Effect.annotateLogs({ sessionId })
      )

    // One inbox and one worker per session that has reported anything; the
    // dispatcher only routes, so it never waits on a session's store writes.
    const inboxes = new Map<SessionId, Queue.Queue<EngineEvent>>()
    const workers = yield* FiberMap.make<SessionId>()
    // Per-session subscribers: a runner's hundreds of entities each get their own session's events
    // instead of all of them each (which grew with sessions × events).
    const subscribersOf = new Map<SessionId, Set<Queue.Enqueue<EngineEvent>>>()
    const published = (event: EngineEvent) =>
      Effect.zipRight(
        PubSub.publish(handled, event),
        Effect.forEach(subscribersOf.get(event.sessionId) ?? [], (subscriber) => Queue.offer(subscriber, event), { discard: true })
      )
    const handledOf = (sessionId: SessionId) =>
      Effect.acquireRelease(
        Effect.tap(Queue.unbounded<EngineEvent>(), (queue) =>
          Effect.sync(() => subscribersOf.set(sessionId, (subscribersOf.get(sessionId) ?? new Set()).add(queue)))),
        (queue) =>
          Effect.zipRight(Effect.sync(() => {
            const subscribers = subscribersOf.get(sessionId)
            subscribers?.delete(queue)
            if (subscribers?.size === 0) subscribersOf.delete(sessionId)
          }), Queue.shutdown(queue))
      )

    const work = (inbox: Queue.Dequeue<EngineEvent>) =>
      Effect.forever(Effect.flatMap(Queue.take(inbox), (event) =>
        Effect.logDebug(engineEventSummary(event)).pipe(
          Effect.annotateLogs({ sessionId: event.sessionId }),
          Effect.zipRight(handle(event)),
          Effect.catchAllCause((cause) => Effect.logError(`handling ${event._tag} failed`, cause)),
          Effect.zipRight(published(event))
        )))

    const inboxOf = (sessionId: SessionId) =>
      Effect.gen(function* () {
        const existing = inboxes.get(sessionId)
        if (existing !== undefined) return existing
        const inbox = yield* Queue.unbounded<EngineEvent>()
        inboxes.set(sessionId, inbox)
        yield* FiberMap.run(workers, sessionId, work(inbox))
        return inbox
      })

    yield* engine.events.pipe(
      Stream.runForEach((event) => Effect.flatMap(inboxOf(event.sessionId), (inbox) => Queue.offer(inbox, event))),
      Effect.forkScoped
    )

    // Boot, part one, before the layer is up (so before any request can start
    // a pairing): a pairing from before the restart has no challenge on the
    // engine any more, so it has expired. When the store cannot be read now,
    // the background pass below does it instead.
    const expireStalePairings = Effect.flatMap(store.sessionsInStatus("pairing"), (stale) =>
      Effect.forEach(stale, (record) => expireStalePairing(record.sessionId, record.orgId), { concurrency, discard: true }))
    const concurrency = Math.max(1, options.resumeConcurrency ?? DEFAULT_RESUME_CONCURRENCY)
    const resumeOnBoot = options.resumeOnBoot ?? true
    const expiredAtStart = !resumeOnBoot || (yield* expireStalePairings.pipe(
      Effect.as(true),
      Effect.catchAll((e) => Effect.as(Effect.logWarning("could not expire the pairings left from before; retrying in the background", e), false))
    ))

    // Part two, in the background so the server answers at once: paired
    // sessions reconnect, a bounded number at a time.
    const progress = yield* Ref.make<ResumeProgress>({ total: 0, pending: 0, done: false, durationMs: null })
    const bootStartedAt = yield* Clock.currentTimeMillis
    const boot = Effect.gen(function* () {
      if (!expiredAtStart) yield* expireStalePairings
      const paired = yield* store.sessionsInStatus("paired")
      yield* Ref.set(progress, { total: paired.length, pending: paired.length, done: false, durationMs: null })
      yield* Effect.forEach(
        paired,
        (record) =>
          engine.resume(record.sessionId).pipe(
            Effect.catchAll((e) => Effect.logWarning("could not resume a paired session", e)),
            Effect.annotateLogs({ sessionId: record.sessionId }),
            Effect.ensuring(Ref.update(progress, (p) => ({ ...p, pending: p.pending - 1 })))
          ),
        { concurrency, discard: true }
      )
      const finishedAt = yield* Clock.currentTimeMillis
      yield* Ref.update(progress, (p) => ({ ...p, done: true, durationMs: finishedAt - bootStartedAt }))
      yield* Effect.logInfo(`supervisor started: ${paired.length} paired session(s) resumed on ${engine.name}`)
    }).pipe(
      // The store was down at start: try the whole pass again until it can read the sessions.
      Effect.tapError((e) => Effect.logWarning("supervisor could not read the sessions to resume; retrying", e)),
      Effect.retry(untilStored)
    )
    if (resumeOnBoot) yield* Effect.forkScoped(boot)
    else yield* Ref.set(progress, { total: 0, pending: 0, done: true, durationMs: 0 })

    return {
      deleted: (sessionId) =>
        Effect.zipRight(
          engine.purge(sessionId),
          Effect.zipRight(FiberMap.remove(workers, sessionId), Effect.sync(() => inboxes.delete(sessionId)))
        ),
      handled: PubSub.subscribe(handled),
      handledOf,
      resumeProgress: Ref.get(progress)
    } satisfies Context.Tag.Service<SessionSupervisor>
  })
