import { Clock, Context, Duration, Effect, FiberMap, Layer, Option, Queue, Random, Stream } from "effect"
import {
  EngineEvent,
  type PairingChallenge,
  type PairingRequest,
  type PhoneNumber,
  SessionEngine,
  type SessionId
} from "@wa-gateway/domain"
import { fakeIdentity, fakePairingCode, fakeQr, normalizePairingCode } from "./fake-values.js"
import { PhoneActionRejected, SimulatorControl } from "./simulator-control.js"

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

    const emit = (event: EngineEvent) => Effect.as(Queue.offer(events, event), event)

    const forget = (sessionId: SessionId) =>
      Effect.zipRight(FiberMap.remove(timers, sessionId), Effect.sync(() => links.delete(sessionId)))

    const newQr = (now: number, deadline: number) =>
      Effect.map(fakeQr(random), (qr): Extract<PairingChallenge, { _tag: "Qr" }> => ({
        _tag: "Qr",
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
            const at = yield* Clock.currentTimeMillis
            if (at >= link.deadline || link.challenge._tag === "Code") {
              links.delete(sessionId)
              yield* emit(EngineEvent.PairingFailed({ sessionId, reason: "expired" }))
              return true
            }
            const challenge = yield* newQr(at, link.deadline)
            links.set(sessionId, { ...link, challenge })
            yield* emit(EngineEvent.QrUpdated({ sessionId, qr: challenge.qr, expiresAt: challenge.expiresAt }))
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
        const challenge: PairingChallenge = request._tag === "Qr"
          ? yield* newQr(now, deadline)
          : { _tag: "Code", code: yield* fakePairingCode(random), phone: request.phone, expiresAt: new Date(deadline) }
        links.set(sessionId, { _tag: "Pairing", challenge, deadline })
        yield* emit(
          challenge._tag === "Qr"
            ? EngineEvent.QrUpdated({ sessionId, qr: challenge.qr, expiresAt: challenge.expiresAt })
            : EngineEvent.PairingCodeIssued({ sessionId, code: challenge.code, expiresAt: challenge.expiresAt })
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
      startPairing,
      currentChallenge,
      logout: (sessionId) => serialized(forget(sessionId)),
      resume,
      stop: (sessionId) => serialized(forget(sessionId)),
      purge: (sessionId) => serialized(forget(sessionId)),
      events: Stream.fromQueue(events, { maxChunkSize: 1 })
    }

    const rejected = (sessionId: SessionId, reason: PhoneActionRejected["reason"], message: string) =>
      Effect.fail(new PhoneActionRejected({ sessionId, reason, message }))

    const link = (sessionId: SessionId, account: { readonly phoneNumber: PhoneNumber; readonly pushName: string | null }) =>
      Effect.gen(function* () {
        yield* FiberMap.remove(timers, sessionId)
        const identity = yield* fakeIdentity(random, account)
        links.set(sessionId, { _tag: "Linked", connected: true })
        return yield* emit(EngineEvent.Paired({ sessionId, identity }))
      })

    const control: Context.Tag.Service<SimulatorControl> = {
      scan: (sessionId, input) =>
        serialized(Effect.gen(function* () {
          const challenge = Option.getOrUndefined(yield* currentChallenge(sessionId))
          if (challenge?._tag !== "Qr") return yield* rejected(sessionId, "no_qr_showing", "no QR code is showing for this session")
          return yield* link(sessionId, { phoneNumber: input.phoneNumber, pushName: input.pushName ?? null })
        })),
      enterCode: (sessionId, input) =>
        serialized(Effect.gen(function* () {
          const challenge = Option.getOrUndefined(yield* currentChallenge(sessionId))
          if (challenge?._tag !== "Code") return yield* rejected(sessionId, "no_code_pending", "no pairing code is pending for this session")
          if (normalizePairingCode(input.code) !== normalizePairingCode(challenge.code)) {
            return yield* rejected(sessionId, "wrong_code", "the pairing code is wrong")
          }
          return yield* link(sessionId, { phoneNumber: challenge.phone, pushName: input.pushName ?? null })
        })),
      unlink: (sessionId) =>
        serialized(Effect.gen(function* () {
          if (links.get(sessionId)?._tag !== "Linked") return yield* rejected(sessionId, "not_linked", "no device is linked for this session")
          yield* forget(sessionId)
          return yield* emit(EngineEvent.LoggedOutByDevice({ sessionId }))
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
          return yield* emit(EngineEvent.Disconnected({ sessionId, reason: "connection lost" }))
        }))
    }

    return { engine, control }
  })

/** The simulator as the `SessionEngine`, with the `SimulatorControl` a simulated phone acts through. */
export const simulatorEngineLayer = (options: SimulatorOptions = {}): Layer.Layer<SessionEngine | SimulatorControl> =>
  Layer.scopedContext(
    Effect.map(make(options), ({ control, engine }) =>
      Context.make(SessionEngine, engine).pipe(Context.add(SimulatorControl, control)))
  )
