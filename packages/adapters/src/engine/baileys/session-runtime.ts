import { Chunk, Clock, type Context, Deferred, Duration, Effect, Either, Option, Queue, Ref, Schedule, type Scope, SubscriptionRef } from "effect"
import {
  EngineEvent,
  EngineUnavailable,
  type PairingAttemptId,
  type PairingChallenge,
  type PairingFailureReason,
  type PairingRequest,
  type SessionId,
  type StoreUnavailable
} from "@wa-gateway/domain"
import type { AuthStateStore, JsonText } from "../../store/auth-state-store.js"
import { encodeCreds, signalKeyStore } from "./auth-state.js"
import type { AuthenticationCreds, ConnectionState } from "./baileys.js"
import { backoffDelay, STABLE_AFTER } from "./backoff.js"
import { CERTIFICATE_REFUSED } from "./certificate-check.js"
import { CloseReason, closeCodeOf, closeReasonOf, disconnectCauseOf } from "./close-reasons.js"
import { formatPairingCode, identityOf, isPaired } from "./creds.js"
import { makeBaileysLogger } from "./logger.js"
import type { SocketFactory, WaSocket } from "./socket-factory.js"

// One session's runtime: its sockets one after another (a socket is made only
// once the previous one's scope has closed), the close-reason loop, and the
// connection state the engine reads.

/** Baileys shows the first QR of a pairing for 60 s and each later one for 20 s (`qrTimeout`'s defaults). */
export const FIRST_QR_LIFETIME = Duration.seconds(60)
export const LATER_QR_LIFETIME = Duration.seconds(20)
/**
 * A pairing code lives as long as its socket keeps the pairing open: until
 * the server's QR refs run out (six refs: 60 s + 5 × 20 s), when the socket
 * closes with 408 and the pairing fails as expired.
 */
export const PAIRING_CODE_LIFETIME = Duration.seconds(160)
/** How long `requestPairingCode` may take once the server asked for pairing. */
const PAIRING_CODE_TIMEOUT = Duration.seconds(20)

/** What the engine reads of a session's runtime. */
export interface RuntimeView {
  /** True exactly while a socket is open. */
  readonly connected: boolean
  readonly challenge: Option.Option<PairingChallenge>
  /** The open socket, for the engine's logout. */
  readonly socket: Option.Option<WaSocket>
}

export const idleView: RuntimeView = { connected: false, challenge: Option.none(), socket: Option.none() }

export interface SessionRuntime {
  readonly sessionId: SessionId
  readonly view: SubscriptionRef.SubscriptionRef<RuntimeView>
  /** Set by the engine before it ends the runtime (logout, stop, purge): the runtime then reports nothing more. */
  readonly stopping: Ref.Ref<boolean>
}

/** Why the runtime runs: a pairing attempt, or a paired session reconnecting. */
export type RuntimeStart =
  | {
    readonly _tag: "Pairing"
    readonly request: PairingRequest
    /** The attempt's first challenge, or why there is none. */
    readonly firstChallenge: Deferred.Deferred<PairingChallenge, EngineUnavailable>
  }
  | {
    readonly _tag: "Resume"
    /** Completed when the first socket opened or closed. */
    readonly firstOutcome: Deferred.Deferred<void>
  }

export interface RuntimeEnvironment {
  readonly sockets: Context.Tag.Service<SocketFactory>
  readonly store: Context.Tag.Service<AuthStateStore>
  /** Reports an engine event (in order, for this session). */
  readonly emit: (event: EngineEvent) => Effect.Effect<void>
  /** Whether this process may open a socket for the session now (socket-admission.ts). */
  readonly admit: (sessionId: SessionId) => Effect.Effect<boolean, StoreUnavailable>
}

/** What a socket's listeners hand to the runtime, in the order they happened. */
type Signal =
  | { readonly _tag: "Connection"; readonly update: Partial<ConnectionState> }
  | { readonly _tag: "Creds"; readonly text: JsonText }
  | { readonly _tag: "Refused" }

/** How one socket ended. */
type SocketOutcome =
  | { readonly _tag: "Closed"; readonly reason: CloseReason; readonly error: unknown; readonly wasOpen: boolean; readonly openFor: Duration.Duration }
  /** The session's head is gone: it was deleted while this socket ran. */
  | { readonly _tag: "Gone" }
  /** WhatsApp did not issue the pairing code; the caller has heard why. */
  | { readonly _tag: "NoPairingCode" }
  /** Another process owns the session now: no socket was opened. */
  | { readonly _tag: "NotAdmitted" }

/** A creds write that failed for want of the store is tried again for a while: the pairing it records must not be lost. */
const credsRetry = Schedule.exponential("200 millis").pipe(Schedule.intersect(Schedule.recurs(6)))

/**
 * Runs the session until its close-reason loop says it is over. `creds` is
 * the one object every socket of the runtime shares (Baileys updates it in
 * place, and every update is written to the store).
 */
export const runSession = (
  runtime: SessionRuntime,
  start: RuntimeStart,
  creds: AuthenticationCreds,
  env: RuntimeEnvironment
): Effect.Effect<void> =>
  Effect.gen(function* () {
    const { sessionId } = runtime
    /** The pairing attempt this runtime still has to report as paired (or failed). */
    let pending: Option.Option<PairingAttemptId> = start._tag === "Pairing" ? Option.some(start.request.attemptId) : Option.none()
    /** Transient failures since the last stable connection: the backoff's exponent. */
    let failures = 0

    const emitIfRunning = (event: EngineEvent) =>
      Effect.flatMap(Ref.get(runtime.stopping), (stopping) => stopping ? Effect.void : env.emit(event))

    const pairingFailed = (reason: PairingFailureReason) =>
      Option.match(pending, {
        onNone: () => Effect.void,
        onSome: (attemptId) => {
          pending = Option.none()
          return emitIfRunning(EngineEvent.PairingFailed({ sessionId, attemptId, reason }))
        }
      })

    const saveCreds = (text: JsonText) =>
      env.store.writeCreds(sessionId, text).pipe(
        Effect.tapError((e) => e._tag === "StoreUnavailable" ? Effect.logWarning("could not store the creds yet; retrying") : Effect.void),
        Effect.retry({ while: (e) => e._tag === "StoreUnavailable", schedule: credsRetry }),
        Effect.map(() => true),
        Effect.catchTags({
          AuthStateWriteRefused: () => Effect.succeed(false),
          StoreUnavailable: (e) => Effect.as(Effect.logError("the creds could not be stored; the next change of them writes them again", e), true)
        })
      )

    /** The pairing's current challenge for a `qr` of the socket (the first on a code pairing asks for the code). */
    const onQr = (socket: WaSocket, qr: string, shown: number): Effect.Effect<boolean> =>
      Effect.gen(function* () {
        if (start._tag !== "Pairing" || Option.isNone(pending)) return true
        const { request } = start
        const now = yield* Clock.currentTimeMillis
        if (request._tag === "Qr") {
          const lifetime = shown === 0 ? FIRST_QR_LIFETIME : LATER_QR_LIFETIME
          const challenge: PairingChallenge = { _tag: "Qr", attemptId: request.attemptId, qr, expiresAt: new Date(now + Duration.toMillis(lifetime)) }
          yield* SubscriptionRef.update(runtime.view, (view) => ({ ...view, challenge: Option.some(challenge) }))
          yield* emitIfRunning(EngineEvent.QrUpdated({ sessionId, attemptId: request.attemptId, qr, expiresAt: challenge.expiresAt }))
          yield* Deferred.succeed(start.firstChallenge, challenge)
          return true
        }
        // Later refs keep the code pairing open; the code stays what it was.
        if (shown > 0) return true
        // Only now: the server has asked for pairing. Earlier, Baileys throws
        // "Connection Closed" and leaves a half-made creds.me behind.
        const code = yield* Effect.tryPromise(() => socket.requestPairingCode(request.phone)).pipe(
          Effect.timeout(PAIRING_CODE_TIMEOUT),
          Effect.mapError(() => "WhatsApp did not issue a pairing code"),
          Effect.flatMap((raw) => Either.match(formatPairingCode(raw), { onLeft: Effect.fail, onRight: Effect.succeed })),
          Effect.either
        )
        if (Either.isLeft(code)) {
          yield* Effect.logWarning(code.left)
          yield* Deferred.fail(start.firstChallenge, new EngineUnavailable({ message: code.left }))
          return false
        }
        const challenge: PairingChallenge = {
          _tag: "Code",
          attemptId: request.attemptId,
          code: code.right,
          phone: request.phone,
          expiresAt: new Date(now + Duration.toMillis(PAIRING_CODE_LIFETIME))
        }
        yield* SubscriptionRef.update(runtime.view, (view) => ({ ...view, challenge: Option.some(challenge) }))
        yield* emitIfRunning(EngineEvent.PairingCodeIssued({ sessionId, attemptId: request.attemptId, code: challenge.code, expiresAt: challenge.expiresAt }))
        yield* Deferred.succeed(start.firstChallenge, challenge)
        return true
      })

    /** The socket is open: the session is connected, and a pairing in progress has succeeded. */
    const onOpen = (socket: WaSocket) =>
      Effect.gen(function* () {
        yield* SubscriptionRef.set(runtime.view, { connected: true, challenge: Option.none(), socket: Option.some(socket) })
        if (Option.isSome(pending)) {
          const attemptId = pending.value
          pending = Option.none()
          yield* Either.match(identityOf(creds), {
            onLeft: (why) =>
              Effect.zipRight(
                Effect.logError(`the linked device's identity cannot be read (${why}); the pairing is reported as failed`),
                emitIfRunning(EngineEvent.PairingFailed({ sessionId, attemptId, reason: "engine_error" }))
              ),
            onRight: (identity) => emitIfRunning(EngineEvent.Paired({ sessionId, attemptId, identity }))
          })
        }
        yield* emitIfRunning(EngineEvent.Connected({ sessionId }))
        if (start._tag === "Resume") yield* Deferred.succeed(start.firstOutcome, undefined)
      })

    /** One socket, from its creation until it closes; its scope ends it. */
    const connectOnce: Effect.Effect<SocketOutcome, never, Scope.Scope> = Effect.gen(function* () {
      const admitted = yield* Effect.either(env.admit(sessionId))
      if (Either.isLeft(admitted)) {
        // Ownership cannot be checked now: as a failed connection, tried again after the backoff.
        yield* Effect.logWarning("could not check this process's ownership of the session before opening a socket", admitted.left)
        return { _tag: "Closed", reason: CloseReason.Unknown({ code: null }), error: undefined, wasOpen: false, openFor: Duration.zero } as const
      }
      if (!admitted.right) return { _tag: "NotAdmitted" } as const
      const signals = yield* Queue.unbounded<Signal>()
      const logger = yield* makeBaileysLogger(sessionId)
      const keys = signalKeyStore(sessionId, env.store, yield* Effect.runtime<never>(), () => void Queue.unsafeOffer(signals, { _tag: "Refused" }))
      const opened = yield* Effect.acquireRelease(
        Effect.try(() => {
          const socket = env.sockets.open({ sessionId, creds, keys, logger })
          // Attached before Baileys emits anything (its first update waits for the next tick).
          socket.ev.on("connection.update", (update) => void Queue.unsafeOffer(signals, { _tag: "Connection", update }))
          // Baileys has already merged the update into `creds`; the whole creds are written, as they are now.
          socket.ev.on("creds.update", () => void Queue.unsafeOffer(signals, { _tag: "Creds", text: encodeCreds(creds) }))
          return Option.some(socket)
        }).pipe(Effect.catchAll((error) => Effect.as(Effect.logWarning("could not create a socket", String(error)), Option.none<WaSocket>()))),
        (socket) => Option.match(socket, { onNone: () => Effect.void, onSome: endSocket })
      )
      if (Option.isNone(opened)) {
        return { _tag: "Closed", reason: CloseReason.Unknown({ code: null }), error: undefined, wasOpen: false, openFor: Duration.zero } as const
      }
      const socket = opened.value
      /** The creds taken from the queue whose write has not finished. */
      let unsaved: JsonText | null = null
      // Runs before the socket is ended: a creds change not written yet (the
      // runtime stopped, or the socket closed, while one was queued or being
      // written) is written now, so the next start neither reuses a pre-key id
      // nor loses a pairing.
      yield* Effect.addFinalizer(() =>
        Effect.flatMap(Queue.takeAll(signals), (pending) => {
          const queued = Chunk.findLast(pending, (signal) => signal._tag === "Creds")
          const latest = Option.isSome(queued) && queued.value._tag === "Creds" ? queued.value.text : unsaved
          return latest === null ? Effect.void : env.store.writeCreds(sessionId, latest).pipe(Effect.timeout("5 seconds"), Effect.ignore)
        }))
      let openedAt: number | null = null
      let qrsShown = 0
      while (true) {
        const signal = yield* Queue.take(signals)
        switch (signal._tag) {
          case "Refused":
            return { _tag: "Gone" } as const
          case "Creds":
            unsaved = signal.text
            if (!(yield* saveCreds(signal.text))) return { _tag: "Gone" } as const
            unsaved = null
            break
          case "Connection": {
            const { update } = signal
            if (typeof update.qr === "string") {
              const going = yield* onQr(socket, update.qr, qrsShown)
              qrsShown++
              if (!going) return { _tag: "NoPairingCode" } as const
            }
            if (update.connection === "open") {
              openedAt = yield* Clock.currentTimeMillis
              yield* onOpen(socket)
            }
            if (update.connection === "close") {
              const now = yield* Clock.currentTimeMillis
              yield* SubscriptionRef.set(runtime.view, idleView)
              const error = update.lastDisconnect?.error
              return {
                _tag: "Closed",
                reason: closeReasonOf(error),
                error,
                wasOpen: openedAt !== null,
                openFor: Duration.millis(openedAt === null ? 0 : now - openedAt)
              } as const
            }
          }
        }
      }
    })

    /** A socket that had been open reports that it closed. */
    const disconnected = (outcome: { readonly reason: CloseReason; readonly wasOpen: boolean }, willReconnect: boolean) =>
      outcome.wasOpen
        ? emitIfRunning(EngineEvent.Disconnected({ sessionId, cause: disconnectCauseOf(outcome.reason), willReconnect }))
        : Effect.void

    /** Reconnects after the backoff's delay; a connection that had been stable starts the schedule again. */
    const backoff = (outcome: { readonly reason: CloseReason; readonly wasOpen: boolean; readonly openFor: Duration.Duration }) =>
      Effect.gen(function* () {
        yield* disconnected(outcome, true)
        if (outcome.wasOpen && Duration.greaterThanOrEqualTo(outcome.openFor, STABLE_AFTER)) failures = 0
        const delay = yield* backoffDelay(failures)
        failures++
        yield* Effect.logInfo(`reconnecting in ${Duration.format(delay)} (attempt ${failures})`)
        yield* Effect.sleep(delay)
      })

    /** Gone for good: the device is no longer linked; its keys are useless and erased. */
    const loggedOut = Effect.gen(function* () {
      yield* Effect.catchAll(env.store.purge(sessionId), (e) => Effect.logWarning("could not erase the auth state of a logged-out session", e))
      if (Option.isSome(pending)) yield* pairingFailed("rejected")
      else yield* emitIfRunning(EngineEvent.LoggedOutByDevice({ sessionId }))
    })

    while (true) {
      const outcome = yield* Effect.scoped(connectOnce)
      if (start._tag === "Resume") yield* Deferred.succeed(start.firstOutcome, undefined)
      // The engine is ending this runtime itself (logout, stop, purge) and reports what it did.
      if (yield* Ref.get(runtime.stopping)) return
      if (outcome._tag === "Gone") {
        return yield* Effect.logInfo("the session was deleted while its socket ran; the socket is closed")
      }
      if (outcome._tag === "NoPairingCode") return
      if (outcome._tag === "NotAdmitted") {
        return yield* Effect.logWarning("another process owns the session now; this one opens no socket for it")
      }
      const { reason } = outcome
      const { code, message } = closeCodeOf(outcome.error)
      yield* Effect.logInfo(`socket closed: ${reason._tag} (${code ?? "no code"})`)
      if (reason._tag === "CertificateRefused") yield* Effect.logError(`${CERTIFICATE_REFUSED}: ${message}`)

      // A session that was never paired does not reconnect on its own: its pairing fails.
      if (!isPaired(creds)) {
        if (start._tag === "Pairing" && !(yield* Deferred.isDone(start.firstChallenge))) {
          // No challenge was ever shown: the caller of startPairing hears why (503).
          const why = reason._tag === "CertificateRefused"
            ? CERTIFICATE_REFUSED
            : `WhatsApp could not be reached (${code === null ? "no close code" : `close code ${code}`})`
          yield* Deferred.fail(start.firstChallenge, new EngineUnavailable({ message: why }))
          return
        }
        return yield* pairingFailed(
          reason._tag === "QrRefsEnded" ? "expired"
          : reason._tag === "LoggedOut" || reason._tag === "Forbidden" ? "rejected"
          : "engine_error"
        )
      }

      // Paired: one branch per close reason.
      switch (reason._tag) {
        // WhatsApp's normal restart right after pairing: reconnect at once with the same creds.
        case "RestartRequired":
          yield* disconnected(outcome, true)
          continue
        // The phone removed the device (or WhatsApp logged it out): never reconnect.
        case "LoggedOut":
          yield* disconnected(outcome, false)
          return yield* loggedOut
        // This account may not use the client: reconnecting cannot help.
        case "Forbidden":
          yield* Effect.logError("WhatsApp refused this account (403); the session stays disconnected")
          yield* emitIfRunning(EngineEvent.Disconnected({ sessionId, cause: "forbidden", willReconnect: false }))
          return yield* pairingFailed("rejected")
        // Another connection on these creds took over. Reconnecting would take
        // it back and be replaced in turn, forever: stop and say so.
        case "Replaced":
          yield* Effect.logWarning("another connection with this session's creds replaced this one (440); not reconnecting")
          yield* emitIfRunning(EngineEvent.Disconnected({ sessionId, cause: "replaced", willReconnect: false }))
          return yield* pairingFailed("engine_error")
        case "Unknown":
          yield* Effect.logWarning(`socket closed with an unknown code (${code ?? "none"}); reconnecting later`)
          yield* backoff(outcome)
          continue
        // Network trouble, WhatsApp unavailable, a refused certificate, refs ending on a paired socket: later.
        case "Transient":
        case "CertificateRefused":
        case "QrRefsEnded":
          yield* backoff(outcome)
          continue
      }
    }
  }).pipe(Effect.annotateLogs({ sessionId: runtime.sessionId }))

/** Ends a socket without logging out; Baileys' `end` is idempotent. A socket that will not close is left behind after 5 s. */
const endSocket = (socket: WaSocket): Effect.Effect<void> =>
  Effect.tryPromise(() => socket.end(undefined)).pipe(Effect.timeout("5 seconds"), Effect.ignore)
