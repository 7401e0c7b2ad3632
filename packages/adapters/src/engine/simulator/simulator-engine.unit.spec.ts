import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Option, Stream, TestClock } from "effect"
import { type EngineEvent, PhoneNumber, SessionEngine, SessionId } from "@wa-gateway/domain"
import { SimulatorControl } from "./simulator-control.js"
import { simulatorEngineLayer } from "./simulator-engine.js"

const sessionId = SessionId.make("sess_01HZX8K3M9ABCDEFGHJKMNPQRS")
const phone = PhoneNumber.make("628123456789")

const QR_SHAPE = /^2@[A-Za-z0-9+/=]+,[A-Za-z0-9+/=]{44},[A-Za-z0-9+/=]{44},[A-Za-z0-9+/=]{44}$/
const CODE_SHAPE = /^[A-Z0-9]{4}-[A-Z0-9]{4}$/

/** The next event the engine reports (fails the test if the stream ended). */
const nextEvent = Effect.flatMap(SessionEngine, (engine) =>
  Effect.flatMap(Stream.runHead(engine.events), (event) =>
    Option.match(event, {
      onNone: () => Effect.dieMessage("the engine's event stream ended"),
      onSome: Effect.succeed
    })))

const expectTag = <T extends EngineEvent["_tag"]>(event: EngineEvent, tag: T): Extract<EngineEvent, { _tag: T }> => {
  expect(event._tag).toBe(tag)
  return event as Extract<EngineEvent, { _tag: T }>
}

const onSimulator = <A, E>(effect: Effect.Effect<A, E, SessionEngine | SimulatorControl>, seed: number = 7) =>
  Effect.provide(effect, simulatorEngineLayer({ seed }))

const pairedByQr = Effect.gen(function* () {
  const engine = yield* SessionEngine
  const control = yield* SimulatorControl
  yield* engine.startPairing(sessionId, { _tag: "Qr" })
  yield* nextEvent
  yield* control.scan(sessionId, { phoneNumber: phone, pushName: "Acme" })
  yield* nextEvent
})

describe("simulator engine", () => {
  it.effect("shows a QR shaped like WhatsApp's and pairs the phone that scans it", () =>
    onSimulator(Effect.gen(function* () {
      const engine = yield* SessionEngine
      const control = yield* SimulatorControl
      const challenge = yield* engine.startPairing(sessionId, { _tag: "Qr" })
      if (challenge._tag !== "Qr") return expect.fail("expected a QR challenge")
      expect(challenge.qr).toMatch(QR_SHAPE)
      expect(challenge.expiresAt.getTime()).toBe(20_000)
      expect(expectTag(yield* nextEvent, "QrUpdated").qr).toBe(challenge.qr)
      expect(yield* engine.currentChallenge(sessionId)).toEqual(Option.some(challenge))

      const caused = yield* control.scan(sessionId, { phoneNumber: phone, pushName: "Acme Support" })
      const paired = expectTag(yield* nextEvent, "Paired")
      expect(paired).toBe(caused)
      expect(paired.identity.phoneNumber).toBe(phone)
      expect(paired.identity.waJid).toMatch(/^628123456789:\d{1,2}@s\.whatsapp\.net$/)
      expect(paired.identity.waLid).toMatch(/^\d{15}:\d{1,2}@lid$/)
      expect(paired.identity.pushName).toBe("Acme Support")
      expect(yield* engine.currentChallenge(sessionId)).toEqual(Option.none())
    })))

  it.effect("issues an ABCD-1234 code bound to the phone, which the phone enters to pair", () =>
    onSimulator(Effect.gen(function* () {
      const engine = yield* SessionEngine
      const control = yield* SimulatorControl
      const challenge = yield* engine.startPairing(sessionId, { _tag: "Code", phone })
      if (challenge._tag !== "Code") return expect.fail("expected a code challenge")
      expect(challenge.code).toMatch(CODE_SHAPE)
      expect(expectTag(yield* nextEvent, "PairingCodeIssued").code).toBe(challenge.code)

      // People type codes in lower case and without the dash.
      yield* control.enterCode(sessionId, { code: challenge.code.replace("-", "").toLowerCase() })
      const paired = expectTag(yield* nextEvent, "Paired")
      expect(paired.identity.phoneNumber).toBe(phone)
      expect(paired.identity.pushName).toBeNull()
    })))

  it.effect("refuses a wrong code and keeps the right one pending", () =>
    onSimulator(Effect.gen(function* () {
      const engine = yield* SessionEngine
      const control = yield* SimulatorControl
      const challenge = yield* engine.startPairing(sessionId, { _tag: "Code", phone })
      if (challenge._tag !== "Code") return expect.fail("expected a code challenge")
      const wrong = challenge.code === "AAAA-AAAA" ? "BBBB-BBBB" : "AAAA-AAAA"
      const refused = yield* Effect.either(control.enterCode(sessionId, { code: wrong }))
      expect(Either.getLeft(refused).pipe(Option.map((e) => e._tag === "PhoneActionRejected" && e.reason))).toEqual(Option.some("wrong_code"))
      expect(yield* engine.currentChallenge(sessionId)).toEqual(Option.some(challenge))
    })))

  it.effect("refuses a scan when no QR is showing, and a scan of a code pairing", () =>
    onSimulator(Effect.gen(function* () {
      const engine = yield* SessionEngine
      const control = yield* SimulatorControl
      const idle = yield* Effect.flip(control.scan(sessionId, { phoneNumber: phone }))
      expect(idle).toMatchObject({ _tag: "PhoneActionRejected", reason: "no_qr_showing" })
      yield* engine.startPairing(sessionId, { _tag: "Code", phone })
      const duringCode = yield* Effect.flip(control.scan(sessionId, { phoneNumber: phone }))
      expect(duringCode).toMatchObject({ _tag: "PhoneActionRejected", reason: "no_qr_showing" })
    })))

  it.effect("rotates the QR every 20 s and fails the pairing as expired after 60 s", () =>
    onSimulator(Effect.gen(function* () {
      const engine = yield* SessionEngine
      const control = yield* SimulatorControl
      const first = yield* engine.startPairing(sessionId, { _tag: "Qr" })
      yield* nextEvent

      yield* TestClock.adjust("20 seconds")
      const second = expectTag(yield* nextEvent, "QrUpdated")
      expect(second.qr).not.toBe(first._tag === "Qr" ? first.qr : "")
      expect(second.qr).toMatch(QR_SHAPE)
      expect(second.expiresAt.getTime()).toBe(40_000)

      yield* TestClock.adjust("20 seconds")
      expectTag(yield* nextEvent, "QrUpdated")
      yield* TestClock.adjust("20 seconds")
      expect(expectTag(yield* nextEvent, "PairingFailed").reason).toBe("expired")

      expect(yield* engine.currentChallenge(sessionId)).toEqual(Option.none())
      const late = yield* Effect.flip(control.scan(sessionId, { phoneNumber: phone }))
      expect(late).toMatchObject({ reason: "no_qr_showing" })
    })))

  it.effect("expires a pairing code after 60 s; entering it then is refused", () =>
    onSimulator(Effect.gen(function* () {
      const engine = yield* SessionEngine
      const control = yield* SimulatorControl
      const challenge = yield* engine.startPairing(sessionId, { _tag: "Code", phone })
      if (challenge._tag !== "Code") return expect.fail("expected a code challenge")
      yield* nextEvent
      yield* TestClock.adjust("60 seconds")
      expect(expectTag(yield* nextEvent, "PairingFailed").reason).toBe("expired")
      const late = yield* Effect.flip(control.enterCode(sessionId, { code: challenge.code }))
      expect(late).toMatchObject({ reason: "no_code_pending" })
    })))

  it.effect("restarting pairing replaces the challenge and its expiry", () =>
    onSimulator(Effect.gen(function* () {
      const engine = yield* SessionEngine
      yield* engine.startPairing(sessionId, { _tag: "Code", phone })
      yield* nextEvent
      yield* TestClock.adjust("50 seconds")
      const qr = yield* engine.startPairing(sessionId, { _tag: "Qr" })
      expectTag(yield* nextEvent, "QrUpdated")
      // The code's expiry at 60 s no longer applies; the QR rotates at 70 s.
      yield* TestClock.adjust("20 seconds")
      const rotated = expectTag(yield* nextEvent, "QrUpdated")
      expect(rotated.qr).not.toBe(qr._tag === "Qr" ? qr.qr : "")
    })))

  it.effect("unlinking on the phone logs the device out; a second unlink is refused", () =>
    onSimulator(Effect.gen(function* () {
      const control = yield* SimulatorControl
      yield* pairedByQr
      yield* control.unlink(sessionId)
      expectTag(yield* nextEvent, "LoggedOutByDevice")
      const again = yield* Effect.flip(control.unlink(sessionId))
      expect(again).toMatchObject({ reason: "not_linked" })
    })))

  it.effect("a dropped connection disconnects now and reconnects after the delay", () =>
    onSimulator(Effect.gen(function* () {
      const control = yield* SimulatorControl
      yield* pairedByQr
      yield* control.dropConnection(sessionId, 1000)
      expectTag(yield* nextEvent, "Disconnected")
      yield* TestClock.adjust("1 second")
      expectTag(yield* nextEvent, "Connected")
    })))

  it.effect("a dropped connection of a session that is not linked is refused", () =>
    onSimulator(Effect.gen(function* () {
      const control = yield* SimulatorControl
      const refused = yield* Effect.flip(control.dropConnection(sessionId, 1000))
      expect(refused).toMatchObject({ reason: "not_linked" })
    })))

  it.effect("resume reconnects a paired session; logout and purge forget it", () =>
    onSimulator(Effect.gen(function* () {
      const engine = yield* SessionEngine
      const control = yield* SimulatorControl
      yield* engine.resume(sessionId)
      expectTag(yield* nextEvent, "Connected")
      yield* engine.logout(sessionId)
      expect(yield* Effect.flip(control.unlink(sessionId))).toMatchObject({ reason: "not_linked" })
      yield* engine.resume(sessionId)
      yield* nextEvent
      yield* engine.purge(sessionId)
      expect(yield* Effect.flip(control.dropConnection(sessionId, 10))).toMatchObject({ reason: "not_linked" })
    })))

  it.effect("the same seed gives the same QR, code and identity", () => {
    const run = onSimulator(Effect.gen(function* () {
      const engine = yield* SessionEngine
      const control = yield* SimulatorControl
      const qr = yield* engine.startPairing(sessionId, { _tag: "Qr" })
      const caused = yield* control.scan(sessionId, { phoneNumber: phone })
      const code = yield* engine.startPairing(sessionId, { _tag: "Code", phone })
      return [qr, caused, code]
    }), 42)
    return Effect.gen(function* () {
      const first = yield* run
      const second = yield* run
      expect(second).toEqual(first)
    })
  })
})
