import { Clock, Context, Duration, Effect, FiberMap, Layer, Option, Queue, Random, Stream } from "effect"
import {
  EngineEvent,
  type PairingAttemptId,
  type PairingChallenge,
  type PairingRequest,
  type PhoneNumber,
  SessionEngine,
  type SessionId
} from "@wa-gateway/domain"
import { fakeIdentity, fakePairingCode, fakeQr, normalizePairingCode } from "./fake-values.js"
import { PhoneActionRejected, SimulatedPhone } from "./simulated-phone.js"

export interface SimulatorOptions {
  /** Seeds every random value (QR strings, codes, device ids); unset → the ambient `Random`. */
  readonly seed?: string | number
  /** How long one QR is shown before the next replaces it (WhatsApp: about 20 s). */
  readonly qrRotationMs?: number
  /** A pairing nobody completes fails as `expired` after this long. */
  readonly pairingTimeoutMs?: number
}

/** Where the simulated socket of one session is. */
type Link =
  | { readonly _tag: "Pairing"; readonly challenge: PairingChallenge; readonly deadline: number }
  | { readonly _tag: "Linked"; readonly connected: boolean }

const make = (options: SimulatorOptions) =>
  Effect.gen(function* () {
    const qrRotationMs = options.qrRotationMs ?? 20_000
    const pairingTimeoutMs = options.pairingTimeoutMs ?? 60_000
    const random = options.seed === undefined ? yield* Effect.random : Random.make(options.seed)

    // Buffered from the start for the one consumer (the supervisor), so no event is lost before it subscribes.
    const events = yield* Queue.unbounded<EngineEvent>()
    yield* Effect.addFinalizer(() => Queue.shutdown(events))
    // At most one timer per session: QR rotation and expiry, or a pending reconnect.
    const timers = yield* FiberMap.make<SessionId>()
    const links = new Map<SessionId, Link>()
    const serialized = (yield* Effect.makeSemaphore(1)).withPermits(1)

    /** Reports the events in order; answers the last (what a caller waits to see handled). */
    const emit = (first: EngineEvent, ...rest: ReadonlyArray<EngineEvent>) =>
      Effect.as(Queue.offerAll(events, [first, ...rest]), rest.at(-1) ?? first)

    const isConnected = (sessionId: SessionId) => {
      const link = links.get(sessionId)
      return link?._tag === "Linked" && link.connected
    }

    /** Forgets the session; a socket that was open reports it closed with this cause. */
    const close = (sessionId: SessionId, cause: "logged_out" | "shutdown" | null) =>
      Effect.gen(function* () {
        const wasConnected = isConnected(sessionId)
        yield* FiberMap.remove(timers, sessionId)
        links.delete(sessionId)
        if (wasConnected && cause !== null) yield* emit(EngineEvent.Disconnected({ sessionId, cause, willReconnect: false }))
      })

    const newQr = (attemptId: PairingAttemptId, now: number, deadline: number) =>
      Effect.map(fakeQr(random), (qr): Extract<PairingChallenge, { _tag: "Qr" }> => ({
        _tag: "Qr",
        attemptId,
        qr,
        expiresAt: new Date(Math.min(now + qrRotationMs, deadline))
      }))

    /** Wakes when the shown challenge expires: rotates the QR, or fails the pairing at its deadline. */
    const watchPairing = (sessionId: SessionId): Effect.Effect<void> =>
      Effect.gen(function* () {
        while (true) {
          const link = links.get(sessionId)
          if (link?._tag !== "Pairing") return
          const now = yield* Clock.currentTimeMillis
          yield* Effect.sleep(Duration.millis(Math.max(0, link.challenge.expiresAt.getTime() - now)))
          const finished = yield* serialized(Effect.gen(function* () {
            // Linked, restarted or forgotten while this fiber slept: not this watch's pairing any more.
            if (links.get(sessionId) !== link) return true
            const { attemptId } = link.challenge
            const at = yield* Clock.currentTimeMillis
            if (at >= link.deadline || link.challenge._tag === "Code") {
              links.delete(sessionId)
              yield* emit(EngineEvent.PairingFailed({ sessionId, attemptId, reason: "expired" }))
              return true
            }
            const challenge = yield* newQr(attemptId, at, link.deadline)
            links.set(sessionId, { ...link, challenge })
            yield* emit(EngineEvent.QrUpdated({ sessionId, attemptId, qr: challenge.qr, expiresAt: challenge.expiresAt }))
            return false
          }))
          if (finished) return
        }
      })

    const startPairing = (sessionId: SessionId, request: PairingRequest) =>
      serialized(Effect.gen(function* () {
        yield* FiberMap.remove(timers, sessionId)
        const now = yield* Clock.currentTimeMillis
        const deadline = now + pairingTimeoutMs
        const { attemptId } = request
        const challenge: PairingChallenge = request._tag === "Qr"
          ? yield* newQr(attemptId, now, deadline)
          : { _tag: "Code", attemptId, code: yield* fakePairingCode(random), phone: request.phone, expiresAt: new Date(deadline) }
        links.set(sessionId, { _tag: "Pairing", challenge, deadline })
        yield* emit(
          challenge._tag === "Qr"
            ? EngineEvent.QrUpdated({ sessionId, attemptId, qr: challenge.qr, expiresAt: challenge.expiresAt })
            : EngineEvent.PairingCodeIssued({ sessionId, attemptId, code: challenge.code, expiresAt: challenge.expiresAt })
        )
        yield* FiberMap.run(timers, sessionId, watchPairing(sessionId))
        return challenge
      }))

    const currentChallenge = (sessionId: SessionId) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const link = links.get(sessionId)
        return link?._tag === "Pairing" && link.challenge.expiresAt.getTime() > now
          ? Option.some(link.challenge)
          : Option.none()
      })

    const resume = (sessionId: SessionId) =>
      serialized(Effect.gen(function* () {
        yield* FiberMap.remove(timers, sessionId)
        links.set(sessionId, { _tag: "Linked", connected: true })
        yield* emit(EngineEvent.Connected({ sessionId }))
      }))

    const engine: Context.Tag.Service<SessionEngine> = {
      name: "simulator",
      warnings: [],
      startPairing,
      currentChallenge,
      isConnected: (sessionId) => Effect.sync(() => isConnected(sessionId)),
      logout: (sessionId) => serialized(close(sessionId, "logged_out")),
      resume,
      stop: (sessionId) => serialized(close(sessionId, "shutdown")),
      // The session is gone: nobody is left to hear that its socket closed.
      purge: (sessionId) => serialized(close(sessionId, null)),
      events: Stream.fromQueue(events, { maxChunkSize: 1 })
    }

    const rejected = (sessionId: SessionId, reason: PhoneActionRejected["reason"], message: string) =>
      Effect.fail(new PhoneActionRejected({ sessionId, reason, message }))

    const link = (
      sessionId: SessionId,
      attemptId: PairingAttemptId,
      account: { readonly phoneNumber: PhoneNumber; readonly pushName: string | null }
    ) =>
      Effect.gen(function* () {
        yield* FiberMap.remove(timers, sessionId)
        const identity = yield* fakeIdentity(random, account)
        links.set(sessionId, { _tag: "Linked", connected: true })
        return yield* emit(EngineEvent.Paired({ sessionId, attemptId, identity }), EngineEvent.Connected({ sessionId }))
      })

    const phone: Context.Tag.Service<SimulatedPhone> = {
      scan: (sessionId, input) =>
        serialized(Effect.gen(function* () {
          const challenge = Option.getOrUndefined(yield* currentChallenge(sessionId))
          if (challenge?._tag !== "Qr") return yield* rejected(sessionId, "no_qr_showing", "no QR code is showing for this session")
          return yield* link(sessionId, challenge.attemptId, { phoneNumber: input.phoneNumber, pushName: input.pushName ?? null })
        })),
      enterCode: (sessionId, input) =>
        serialized(Effect.gen(function* () {
          const challenge = Option.getOrUndefined(yield* currentChallenge(sessionId))
          if (challenge?._tag !== "Code") return yield* rejected(sessionId, "no_code_pending", "no pairing code is pending for this session")
          if (normalizePairingCode(input.code) !== normalizePairingCode(challenge.code)) {
            return yield* rejected(sessionId, "wrong_code", "the pairing code is wrong")
          }
          return yield* link(sessionId, challenge.attemptId, { phoneNumber: challenge.phone, pushName: input.pushName ?? null })
        })),
      unlink: (sessionId) =>
        serialized(Effect.gen(function* () {
          if (links.get(sessionId)?._tag !== "Linked") return yield* rejected(sessionId, "not_linked", "no device is linked for this session")
          const wasConnected = isConnected(sessionId)
          yield* FiberMap.remove(timers, sessionId)
          links.delete(sessionId)
          // WhatsApp closes the socket with 401 device_removed: reported as closed for good, then as the logout.
          const loggedOut = EngineEvent.LoggedOutByDevice({ sessionId })
          return yield* (wasConnected
            ? emit(EngineEvent.Disconnected({ sessionId, cause: "logged_out", willReconnect: false }), loggedOut)
            : emit(loggedOut))
        })),
      dropConnection: (sessionId, reconnectAfterMs) =>
        serialized(Effect.gen(function* () {
          if (links.get(sessionId)?._tag !== "Linked") return yield* rejected(sessionId, "not_linked", "no device is linked for this session")
          links.set(sessionId, { _tag: "Linked", connected: false })
          const reconnect = Effect.zipRight(
            Effect.sleep(Duration.millis(reconnectAfterMs)),
            serialized(Effect.suspend(() => {
              if (links.get(sessionId)?._tag !== "Linked") return Effect.void
              links.set(sessionId, { _tag: "Linked", connected: true })
              return emit(EngineEvent.Connected({ sessionId }))
            }))
          )
          yield* FiberMap.run(timers, sessionId, reconnect)
          return yield* emit(EngineEvent.Disconnected({ sessionId, cause: "connection_lost", willReconnect: true }))
        }))
    }

    return { engine, phone }
  })

/** The simulator as the `SessionEngine`, with the `SimulatedPhone` that acts on it. */
export const simulatorEngineLayer = (options: SimulatorOptions = {}): Layer.Layer<SessionEngine | SimulatedPhone> =>
  Layer.scopedContext(
    Effect.map(make(options), ({ engine, phone }) => Context.make(SessionEngine, engine).pipe(Context.add(SimulatedPhone, phone)))
  )
