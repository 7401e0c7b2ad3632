import { describe, expect, it } from "@effect/vitest"
import { type Duration, Effect, type Layer, Option, Stream, TestClock } from "effect"
import { type EngineEvent, PairingAttemptId, PhoneNumber, SessionEngine, SessionId } from "@wa-gateway/domain"
import { SimulatedPhone } from "./simulator/simulated-phone.js"

/**
 * What every `SessionEngine` must do, checked with a phone acting on it:
 * the simulator's own `SimulatedPhone`, or for the Baileys adapter a
 * driver of its fake socket with the same shape.
 */
export interface EngineContractSubject {
  readonly name: string
  /** A fresh engine and a phone that acts on it. */
  readonly layer: () => Layer.Layer<SessionEngine | SimulatedPhone>
  /** How long an unanswered pairing lives on this engine (under `TestClock`). */
  readonly pairingTimeout: Duration.DurationInput
}

export const sessionId = SessionId.make("sess_01HZX8K3M9ABCDEFGHJKMNPQRS")
export const phone = PhoneNumber.make("628123456789")
export const attemptId = PairingAttemptId.make("pair_01HZX8K3M9ABCDEFGHJKMNPQRS")
export const laterAttempt = PairingAttemptId.make("pair_01HZX8K3M9ABCDEFGHJKMNPQRT")

/** The next event the engine reports (a defect if the stream ended). */
export const nextEvent = Effect.flatMap(SessionEngine, (engine) =>
  Effect.flatMap(Stream.runHead(engine.events), (event) =>
    Option.match(event, {
      onNone: () => Effect.dieMessage("the engine's event stream ended"),
      onSome: Effect.succeed
    })))

export const expectTag = <T extends EngineEvent["_tag"]>(event: EngineEvent, tag: T): Extract<EngineEvent, { _tag: T }> => {
  expect(event._tag).toBe(tag)
  return event as Extract<EngineEvent, { _tag: T }>
}

/** Started by QR and scanned: the session is linked and connected. */
export const pairedByQr = Effect.gen(function* () {
  const engine = yield* SessionEngine
  const control = yield* SimulatedPhone
  yield* engine.startPairing(sessionId, { _tag: "Qr", attemptId })
  yield* nextEvent
  yield* control.scan(sessionId, { phoneNumber: phone, pushName: "Acme" })
  expectTag(yield* nextEvent, "Paired")
  expectTag(yield* nextEvent, "Connected")
})

export const describeEngineContract = (subject: EngineContractSubject) =>
  describe(`SessionEngine contract: ${subject.name}`, () => {
    const onEngine = <A, E>(effect: Effect.Effect<A, E, SessionEngine | SimulatedPhone>) =>
      Effect.provide(effect, subject.layer())

    it.effect("a started QR pairing shows the QR, and the phone that scans it is paired with its identity", () =>
      onEngine(Effect.gen(function* () {
        const engine = yield* SessionEngine
        const control = yield* SimulatedPhone
        const challenge = yield* engine.startPairing(sessionId, { _tag: "Qr", attemptId })
        if (challenge._tag !== "Qr") return expect.fail("expected a QR challenge")
        expect(challenge.attemptId).toBe(attemptId)
        expect(expectTag(yield* nextEvent, "QrUpdated")).toMatchObject({ qr: challenge.qr, attemptId })
        expect(yield* engine.isConnected(sessionId)).toBe(false)
        expect(yield* engine.currentChallenge(sessionId)).toEqual(Option.some(challenge))

        const caused = yield* control.scan(sessionId, { phoneNumber: phone, pushName: "Acme Support" })
        const paired = expectTag(yield* nextEvent, "Paired")
        expect(paired.attemptId).toBe(attemptId)
        expect(paired.identity.phoneNumber).toBe(phone)
        expect(paired.identity.waJid).toMatch(/^628123456789:\d+@s\.whatsapp\.net$/)
        expect(paired.identity.waLid).toMatch(/^\d+:\d+@lid$/)
        expect(paired.identity.pushName).toBe("Acme Support")
        // Linked means the socket is open: Connected follows, and is the last event the scan caused.
        expect(expectTag(yield* nextEvent, "Connected")).toEqual(caused)
        expect(yield* engine.isConnected(sessionId)).toBe(true)
        expect(yield* engine.currentChallenge(sessionId)).toEqual(Option.none())
      })))

    it.effect("a pairing code is bound to its phone, which enters it to pair", () =>
      onEngine(Effect.gen(function* () {
        const engine = yield* SessionEngine
        const control = yield* SimulatedPhone
        const challenge = yield* engine.startPairing(sessionId, { _tag: "Code", attemptId, phone })
        if (challenge._tag !== "Code") return expect.fail("expected a code challenge")
        expect(challenge.code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/)
        expect(challenge.phone).toBe(phone)
        expect(expectTag(yield* nextEvent, "PairingCodeIssued")).toMatchObject({ code: challenge.code, attemptId })

        // People type codes in lower case and without the dash.
        yield* control.enterCode(sessionId, { code: challenge.code.replace("-", "").toLowerCase() })
        const paired = expectTag(yield* nextEvent, "Paired")
        expect(paired.attemptId).toBe(attemptId)
        expect(paired.identity.phoneNumber).toBe(phone)
        expect(paired.identity.pushName).toBeNull()
      })))

    it.effect("a wrong code is refused and the right one stays pending", () =>
      onEngine(Effect.gen(function* () {
        const engine = yield* SessionEngine
        const control = yield* SimulatedPhone
        const challenge = yield* engine.startPairing(sessionId, { _tag: "Code", attemptId, phone })
        if (challenge._tag !== "Code") return expect.fail("expected a code challenge")
        const wrong = challenge.code === "AAAA-AAAA" ? "BBBB-BBBB" : "AAAA-AAAA"
        expect(yield* Effect.flip(control.enterCode(sessionId, { code: wrong }))).toMatchObject({
          _tag: "PhoneActionRejected",
          reason: "wrong_code"
        })
        expect(yield* engine.currentChallenge(sessionId)).toEqual(Option.some(challenge))
      })))

    it.effect("a scan is refused when no QR is showing, including during a code pairing", () =>
      onEngine(Effect.gen(function* () {
        const engine = yield* SessionEngine
        const control = yield* SimulatedPhone
        expect(yield* Effect.flip(control.scan(sessionId, { phoneNumber: phone }))).toMatchObject({ reason: "no_qr_showing" })
        yield* engine.startPairing(sessionId, { _tag: "Code", attemptId, phone })
        expect(yield* Effect.flip(control.scan(sessionId, { phoneNumber: phone }))).toMatchObject({ reason: "no_qr_showing" })
      })))

    it.effect("an unanswered QR pairing fails as expired; a scan afterwards is refused", () =>
      onEngine(Effect.gen(function* () {
        const engine = yield* SessionEngine
        const control = yield* SimulatedPhone
        yield* engine.startPairing(sessionId, { _tag: "Qr", attemptId })
        yield* TestClock.adjust(subject.pairingTimeout)
        let event = yield* nextEvent
        while (event._tag === "QrUpdated") event = yield* nextEvent
        expect(expectTag(event, "PairingFailed")).toMatchObject({ reason: "expired", attemptId })
        expect(yield* engine.currentChallenge(sessionId)).toEqual(Option.none())
        expect(yield* Effect.flip(control.scan(sessionId, { phoneNumber: phone }))).toMatchObject({ reason: "no_qr_showing" })
      })))

    it.effect("an unused pairing code expires; entering it afterwards is refused", () =>
      onEngine(Effect.gen(function* () {
        const engine = yield* SessionEngine
        const control = yield* SimulatedPhone
        const challenge = yield* engine.startPairing(sessionId, { _tag: "Code", attemptId, phone })
        if (challenge._tag !== "Code") return expect.fail("expected a code challenge")
        yield* nextEvent
        yield* TestClock.adjust(subject.pairingTimeout)
        expect(expectTag(yield* nextEvent, "PairingFailed").reason).toBe("expired")
        expect(yield* Effect.flip(control.enterCode(sessionId, { code: challenge.code }))).toMatchObject({
          reason: "no_code_pending"
        })
      })))

    it.effect("a restarted pairing reports the new attempt, and the old attempt's challenge is gone", () =>
      onEngine(Effect.gen(function* () {
        const engine = yield* SessionEngine
        yield* engine.startPairing(sessionId, { _tag: "Qr", attemptId })
        yield* nextEvent
        const restarted = yield* engine.startPairing(sessionId, { _tag: "Code", attemptId: laterAttempt, phone })
        expect(expectTag(yield* nextEvent, "PairingCodeIssued").attemptId).toBe(laterAttempt)
        expect(yield* engine.currentChallenge(sessionId)).toEqual(Option.some(restarted))
      })))

    it.effect("unlinking on the phone closes the socket for good and reports LoggedOutByDevice; a second unlink is refused", () =>
      onEngine(Effect.gen(function* () {
        const control = yield* SimulatedPhone
        const engine = yield* SessionEngine
        yield* pairedByQr
        yield* control.unlink(sessionId)
        expect(expectTag(yield* nextEvent, "Disconnected")).toMatchObject({ cause: "logged_out", willReconnect: false })
        expectTag(yield* nextEvent, "LoggedOutByDevice")
        expect(yield* engine.isConnected(sessionId)).toBe(false)
        expect(yield* Effect.flip(control.unlink(sessionId))).toMatchObject({ reason: "not_linked" })
      })))

    it.effect("a dropped connection reports Disconnected now and Connected after the delay", () =>
      onEngine(Effect.gen(function* () {
        const control = yield* SimulatedPhone
        yield* pairedByQr
        const engine = yield* SessionEngine
        yield* control.dropConnection(sessionId, 1000)
        expect(expectTag(yield* nextEvent, "Disconnected")).toMatchObject({ cause: "connection_lost", willReconnect: true })
        expect(yield* engine.isConnected(sessionId)).toBe(false)
        yield* TestClock.adjust("1 second")
        expectTag(yield* nextEvent, "Connected")
        expect(yield* engine.isConnected(sessionId)).toBe(true)
      })))

    it.effect("a dropped connection of a session that is not linked is refused", () =>
      onEngine(Effect.gen(function* () {
        const control = yield* SimulatedPhone
        expect(yield* Effect.flip(control.dropConnection(sessionId, 1000))).toMatchObject({ reason: "not_linked" })
      })))

    it.effect("resume reconnects a session paired before a restart; logout and purge forget it", () =>
      onEngine(Effect.gen(function* () {
        const engine = yield* SessionEngine
        const control = yield* SimulatedPhone
        yield* pairedByQr
        // A restart: the socket closes without logging out, and the next start resumes it.
        yield* engine.stop(sessionId)
        expectTag(yield* nextEvent, "Disconnected")
        yield* engine.resume(sessionId)
        expectTag(yield* nextEvent, "Connected")
        expect(yield* engine.isConnected(sessionId)).toBe(true)

        yield* engine.logout(sessionId)
        expect(expectTag(yield* nextEvent, "Disconnected")).toMatchObject({ cause: "logged_out", willReconnect: false })
        expect(yield* engine.isConnected(sessionId)).toBe(false)
        expect(yield* Effect.flip(control.unlink(sessionId))).toMatchObject({ reason: "not_linked" })

        yield* pairedByQr
        yield* engine.purge(sessionId)
        expect(yield* engine.isConnected(sessionId)).toBe(false)
        expect(yield* Effect.flip(control.dropConnection(sessionId, 10))).toMatchObject({ reason: "not_linked" })
      })))

    it.effect("stop closes an open socket without logging out, reported as a shutdown", () =>
      onEngine(Effect.gen(function* () {
        const engine = yield* SessionEngine
        yield* pairedByQr
        yield* engine.stop(sessionId)
        expect(expectTag(yield* nextEvent, "Disconnected")).toMatchObject({ cause: "shutdown", willReconnect: false })
        expect(yield* engine.isConnected(sessionId)).toBe(false)
      })))
  })
