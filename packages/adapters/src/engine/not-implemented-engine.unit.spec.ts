import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Stream } from "effect"
import { PairingAttemptId, PhoneNumber, SessionEngine, SessionId } from "@wa-gateway/domain"
import { notImplementedEngineLayer } from "./not-implemented-engine.js"

const sessionId = SessionId.make("sess_01HZX8K3M9ABCDEFGHJKMNPQRS")
const attemptId = PairingAttemptId.make("pair_01HZX8K3M9ABCDEFGHJKMNPQRS")

describe("an engine this build lacks", () => {
  it.effect("fails every operation with EngineNotImplemented, naming the engine and the operation", () =>
    Effect.gen(function* () {
      const engine = yield* SessionEngine
      const failures: ReadonlyArray<Effect.Effect<unknown, { readonly _tag: string }>> = [
        engine.startPairing(sessionId, { _tag: "Qr", attemptId }),
        engine.startPairing(sessionId, { _tag: "Code", attemptId, phone: PhoneNumber.make("628123456789") }),
        engine.logout(sessionId),
        engine.resume(sessionId),
        engine.purge(sessionId)
      ]
      for (const failure of failures) {
        expect(yield* Effect.flip(failure)).toMatchObject({ _tag: "EngineNotImplemented", operation: expect.stringMatching(/^baileys\./) })
      }
      expect(engine.name).toBe("baileys")
    }).pipe(Effect.provide(notImplementedEngineLayer("baileys"))))

  it.effect("shows no challenge, stops quietly and reports no events", () =>
    Effect.gen(function* () {
      const engine = yield* SessionEngine
      expect(yield* engine.currentChallenge(sessionId)).toEqual(Option.none())
      expect(yield* engine.isConnected(sessionId)).toBe(false)
      yield* engine.stop(sessionId)
      const events = yield* Stream.runCollect(Stream.take(Stream.merge(engine.events, Stream.make("end")), 1))
      expect([...events]).toEqual(["end"])
    }).pipe(Effect.provide(notImplementedEngineLayer("baileys"))))
})
