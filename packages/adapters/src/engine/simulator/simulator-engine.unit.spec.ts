import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { SessionEngine } from "@wa-gateway/domain"
import { attemptId, describeEngineContract, expectTag, nextEvent, phone, sessionId } from "../session-engine.contract.spec-helper.js"
import { SimulatedPhone } from "./simulated-phone.js"
import { simulatorEngineLayer } from "./simulator-engine.js"

describeEngineContract({
  name: "simulator",
  layer: () => simulatorEngineLayer({ seed: 7 }),
  pairingTimeout: "60 seconds"
})

// `2@<ref>,<noise key>,<identity key>,<adv secret>`, each part base64; the keys are 32 bytes.
const QR_SHAPE = /^2@[A-Za-z0-9+/=]+,[A-Za-z0-9+/=]{44},[A-Za-z0-9+/=]{44},[A-Za-z0-9+/=]{44}$/

const onSimulator = <A, E>(effect: Effect.Effect<A, E, SessionEngine | SimulatedPhone>, seed: number = 7) =>
  Effect.provide(effect, simulatorEngineLayer({ seed }))

describe("simulator engine", () => {
  it.effect("shows QR strings shaped like WhatsApp Web's, valid for 20 s", () =>
    onSimulator(Effect.gen(function* () {
      const challenge = yield* (yield* SessionEngine).startPairing(sessionId, { _tag: "Qr", attemptId })
      if (challenge._tag !== "Qr") return expect.fail("expected a QR challenge")
      expect(challenge.qr).toMatch(QR_SHAPE)
      expect(challenge.expiresAt.getTime()).toBe(20_000)
    })))

  it.effect("rotates the QR every 20 s and fails the pairing as expired after 60 s", () =>
    onSimulator(Effect.gen(function* () {
      const first = yield* (yield* SessionEngine).startPairing(sessionId, { _tag: "Qr", attemptId })
      yield* nextEvent

      yield* TestClock.adjust("20 seconds")
      const second = expectTag(yield* nextEvent, "QrUpdated")
      expect(second.qr).not.toBe(first._tag === "Qr" ? first.qr : "")
      expect(second.qr).toMatch(QR_SHAPE)
      expect(second.expiresAt.getTime()).toBe(40_000)

      yield* TestClock.adjust("20 seconds")
      expect(expectTag(yield* nextEvent, "QrUpdated").expiresAt.getTime()).toBe(60_000)
      yield* TestClock.adjust("20 seconds")
      expect(expectTag(yield* nextEvent, "PairingFailed").reason).toBe("expired")
    })))

  it.effect("restarting pairing replaces the challenge and its expiry", () =>
    onSimulator(Effect.gen(function* () {
      const engine = yield* SessionEngine
      yield* engine.startPairing(sessionId, { _tag: "Code", attemptId, phone })
      yield* nextEvent
      yield* TestClock.adjust("50 seconds")
      const qr = yield* engine.startPairing(sessionId, { _tag: "Qr", attemptId })
      expectTag(yield* nextEvent, "QrUpdated")
      // The code's expiry at 60 s no longer applies; the QR rotates at 70 s.
      yield* TestClock.adjust("20 seconds")
      const rotated = expectTag(yield* nextEvent, "QrUpdated")
      expect(rotated.qr).not.toBe(qr._tag === "Qr" ? qr.qr : "")
    })))

  it.effect("the same seed gives the same QR, code and identity", () => {
    const run = onSimulator(Effect.gen(function* () {
      const engine = yield* SessionEngine
      const control = yield* SimulatedPhone
      const qr = yield* engine.startPairing(sessionId, { _tag: "Qr", attemptId })
      const caused = yield* control.scan(sessionId, { phoneNumber: phone })
      const code = yield* engine.startPairing(sessionId, { _tag: "Code", attemptId, phone })
      return [qr, caused, code]
    }), 42)
    return Effect.gen(function* () {
      const first = yield* run
      expect(yield* run).toEqual(first)
    })
  })

  it.effect("another seed gives other values", () =>
    Effect.gen(function* () {
      const qrOf = (seed: number) =>
        onSimulator(Effect.flatMap(SessionEngine, (engine) => engine.startPairing(sessionId, { _tag: "Qr", attemptId })), seed)
      expect(yield* qrOf(1)).not.toEqual(yield* qrOf(2))
    }))
})
