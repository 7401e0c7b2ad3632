import { Clock, type Context, Deferred, Duration, Effect, Either, FiberMap, FiberRef, HashMap, Layer, Option, Queue, Ref, Stream, SubscriptionRef } from "effect"
import {
  EngineEvent,
  EngineUnavailable,
  makeKeyedLock,
  type PairingChallenge,
  type PairingRequest,
  SessionEngine,
  type SessionId,
  type StoreUnavailable
} from "@wa-gateway/domain"
import { AuthStateStore } from "../../store/auth-state-store.js"
import { encodeCreds, readCreds } from "./auth-state.js"
import { type AuthenticationCreds, initAuthCreds } from "./baileys.js"
import { isPaired } from "./creds.js"
import { idleView, type RuntimeStart, runSession, type SessionRuntime } from "./session-runtime.js"
import { SocketAdmission } from "../socket-admission.js"
import { SocketFactory, type WaSocket } from "./socket-factory.js"

export interface BaileysEngineOptions {
  /**
   * How long `startPairing` waits for WhatsApp's first QR (or the pairing
   * code) before answering `EngineUnavailable`: under the API's 30 s.
   */
  readonly firstChallengeTimeout?: Duration.DurationInput | undefined
  /** How long `resume` waits for the first socket to open or close before the runtime carries on alone. */
  readonly resumeTimeout?: Duration.DurationInput | undefined
  /** How long `logout` waits to reach WhatsApp and unlink the device. */
  readonly logoutTimeout?: Duration.DurationInput | undefined
}

const unavailable = (message: string) => new EngineUnavailable({ message })
const storeUnavailable = (e: StoreUnavailable) => unavailable(e.message)

const make = (options: BaileysEngineOptions) =>
  Effect.gen(function* () {
    const sockets = yield* SocketFactory
    const store = yield* AuthStateStore
    const firstChallengeTimeout = options.firstChallengeTimeout ?? Duration.seconds(25)
    const resumeTimeout = options.resumeTimeout ?? Duration.seconds(30)
    const logoutTimeout = options.logoutTimeout ?? Duration.seconds(20)

    for (const warning of sockets.warnings) yield* Effect.logWarning(`WhatsApp engine: ${warning}`)

    // Buffered from the start for the one consumer (the supervisor). Shut
    // down last: the runtimes below are interrupted (their sockets ended,
    // never logged out) before it.
    const events = yield* Queue.unbounded<EngineEvent>()
    yield* Effect.addFinalizer(() => Queue.shutdown(events))
    // One runtime fiber per session with a socket, its sockets in its own scopes.
    const runtimes = yield* FiberMap.make<SessionId>()
    const handles = new Map<SessionId, SessionRuntime>()
    // Operations on one session one at a time: a new runtime starts only after the old one has ended.
    const lock = yield* makeKeyedLock
    const admission = yield* Effect.serviceOption(SocketAdmission)
    const env = {
      sockets,
      store,
      emit: (event: EngineEvent) => Queue.offer(events, event),
      admit: (sessionId: SessionId) => Option.match(admission, { onNone: () => Effect.succeed(true), onSome: (a) => a.admit(sessionId) })
    }

    /** The session's stored creds, decoded (`Left` when unusable). */
    const storedCreds = (sessionId: SessionId) =>
      readCreds(sessionId).pipe(Effect.provideService(AuthStateStore, store), Effect.mapError(storeUnavailable))

    const viewOf = (sessionId: SessionId) => {
      const handle = handles.get(sessionId)
      return handle === undefined ? Effect.succeed(idleView) : SubscriptionRef.get(handle.view)
    }

    /** Ends the session's runtime (and so its socket) and waits until it has ended; answers whether it was connected. */
    const endRuntime = (sessionId: SessionId) =>
      Effect.gen(function* () {
        const handle = handles.get(sessionId)
        if (handle === undefined) return false
        yield* Ref.set(handle.stopping, true)
        const { connected } = yield* SubscriptionRef.get(handle.view)
        yield* FiberMap.remove(runtimes, sessionId)
        handles.delete(sessionId)
        return connected
      })

    /** Starts a runtime for the session; the caller holds its lock and has ended any previous one. */
    const startRuntime = (sessionId: SessionId, start: RuntimeStart, creds: AuthenticationCreds) =>
      Effect.gen(function* () {
        const handle: SessionRuntime = { sessionId, view: yield* SubscriptionRef.make(idleView), stopping: yield* Ref.make(false) }
        handles.set(sessionId, handle)
        const failed = unavailable("the pairing ended before WhatsApp showed a challenge")
        yield* FiberMap.run(
          runtimes,
          sessionId,
          runSession(handle, start, creds, env).pipe(
            Effect.catchAllCause((cause) => Effect.logError("the session's runtime failed", cause)),
            // The runtime outlives the request that started it: its lines carry the session's id, not that request's.
            Effect.locally(FiberRef.currentLogAnnotations, HashMap.empty()),
            Effect.ensuring(Effect.all([
              start._tag === "Pairing" ? Deferred.fail(start.firstChallenge, failed) : Deferred.succeed(start.firstOutcome, undefined),
              Effect.sync(() => {
                if (handles.get(sessionId) === handle) handles.delete(sessionId)
              })
            ]))
          )
        )
      })

    const startPairing = (sessionId: SessionId, request: PairingRequest) =>
      Effect.gen(function* () {
        yield* endRuntime(sessionId)
        // Every attempt registers as a new device with fresh creds: nothing
        // of an earlier attempt (a half-made creds.me above all) is reused.
        const creds = initAuthCreds()
        yield* store.purge(sessionId).pipe(Effect.mapError(storeUnavailable))
        yield* store.writeCreds(sessionId, encodeCreds(creds)).pipe(
          Effect.catchTags({
            StoreUnavailable: (e) => Effect.fail(storeUnavailable(e)),
            AuthStateWriteRefused: () => Effect.fail(unavailable("the session no longer exists"))
          })
        )
        const firstChallenge = yield* Deferred.make<PairingChallenge, EngineUnavailable>()
        yield* startRuntime(sessionId, { _tag: "Pairing", request, firstChallenge }, creds)
        return yield* Deferred.await(firstChallenge).pipe(
          Effect.timeoutFail({
            duration: firstChallengeTimeout,
            onTimeout: () => unavailable(`WhatsApp did not answer within ${Duration.format(firstChallengeTimeout)}`)
          }),
          Effect.tapError(() => endRuntime(sessionId))
        )
      }).pipe(lock.withLock(sessionId), Effect.annotateLogs({ sessionId }))

    const currentChallenge = (sessionId: SessionId) =>
      Effect.gen(function* () {
        const { challenge } = yield* viewOf(sessionId)
        const now = yield* Clock.currentTimeMillis
        return Option.filter(challenge, (c) => c.expiresAt.getTime() > now)
      })

    /** Starts the paired session's runtime from its stored creds, unless it runs already. */
    const ensureRunning = (sessionId: SessionId) =>
      Effect.gen(function* () {
        if (handles.has(sessionId)) return Option.none<Deferred.Deferred<void>>()
        const stored = yield* storedCreds(sessionId)
        const creds = Option.flatMap(stored, Either.getRight)
        if (Option.isNone(creds) || !isPaired(creds.value)) {
          // Without linked creds nothing can log in again: the session is, in effect, logged out.
          const why = Option.match(stored, {
            onNone: () => "no creds are stored",
            onSome: Either.match({ onLeft: (reason) => reason, onRight: () => "the stored creds are not linked to a device" })
          })
          yield* Effect.logWarning(`a paired session cannot log in (${why}); reported as logged out by the device`)
          yield* Queue.offer(events, EngineEvent.LoggedOutByDevice({ sessionId }))
          return Option.none<Deferred.Deferred<void>>()
        }
        const firstOutcome = yield* Deferred.make<void>()
        yield* startRuntime(sessionId, { _tag: "Resume", firstOutcome }, creds.value)
        return Option.some(firstOutcome)
      })

    const resume = (sessionId: SessionId) =>
      Effect.gen(function* () {
        const started = yield* ensureRunning(sessionId)
        // Waiting for the first socket's outcome is what bounds the boot pass's handshakes at once.
        if (Option.isSome(started)) yield* Deferred.await(started.value).pipe(Effect.timeout(resumeTimeout), Effect.ignore)
      }).pipe(lock.withLock(sessionId), Effect.annotateLogs({ sessionId }))

    /** The open socket of the session's runtime, once it has one (within `logoutTimeout`). */
    const openSocket = (handle: SessionRuntime) =>
      handle.view.changes.pipe(
        Stream.filterMap((view) => view.socket),
        Stream.runHead,
        Effect.timeout(logoutTimeout),
        Effect.orElseSucceed(() => Option.none<WaSocket>())
      )

    /** Unlinks the device through the socket's own logout; the runtime then ends without reporting the 401. */
    const unlink = (sessionId: SessionId) =>
      Effect.gen(function* () {
        yield* ensureRunning(sessionId)
        const handle = handles.get(sessionId)
        const socket = handle === undefined ? Option.none<WaSocket>() : yield* openSocket(handle)
        if (handle === undefined || Option.isNone(socket)) {
          return yield* Effect.fail(unavailable("WhatsApp cannot be reached to unlink the device"))
        }
        yield* Ref.set(handle.stopping, true)
        yield* Effect.tryPromise(() => socket.value.logout()).pipe(
          Effect.timeout(logoutTimeout),
          Effect.mapError(() => unavailable("WhatsApp did not take the unlinking of the device")),
          Effect.tapError(() => Ref.set(handle.stopping, false))
        )
      })

    const logout = (sessionId: SessionId) =>
      Effect.gen(function* () {
        const linked = Option.isSome(Option.filter(Option.flatMap(yield* storedCreds(sessionId), Either.getRight), isPaired))
        // Without linked creds there is no device to unlink; the rest is forgetting.
        if (linked) yield* unlink(sessionId)
        const wasConnected = (yield* endRuntime(sessionId)) || linked
        if (wasConnected) yield* Queue.offer(events, EngineEvent.Disconnected({ sessionId, cause: "logged_out", willReconnect: false }))
        yield* store.purge(sessionId).pipe(Effect.mapError(storeUnavailable))
      }).pipe(lock.withLock(sessionId), Effect.annotateLogs({ sessionId }))

    const engine: Context.Tag.Service<SessionEngine> = {
      name: "baileys",
      warnings: sockets.warnings,
      startPairing,
      currentChallenge,
      isConnected: (sessionId) => Effect.map(viewOf(sessionId), (view) => view.connected),
      logout,
      resume,
      stop: (sessionId) =>
        Effect.gen(function* () {
          if (yield* endRuntime(sessionId)) yield* Queue.offer(events, EngineEvent.Disconnected({ sessionId, cause: "shutdown", willReconnect: false }))
        }).pipe(lock.withLock(sessionId)),
      // The session is gone: nobody is left to hear that its socket closed.
      purge: (sessionId) =>
        Effect.zipRight(endRuntime(sessionId), Effect.mapError(store.purge(sessionId), storeUnavailable)).pipe(lock.withLock(sessionId)),
      events: Stream.fromQueue(events, { maxChunkSize: 1 })
    }
    return engine
  })

/** The Baileys engine over the sockets of a `SocketFactory` and the auth state of the `AuthStateStore`. */
export const baileysEngineLayer = (options: BaileysEngineOptions = {}): Layer.Layer<SessionEngine, never, SocketFactory | AuthStateStore> =>
  Layer.scoped(SessionEngine, make(options))
