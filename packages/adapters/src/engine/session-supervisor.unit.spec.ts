import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Option, Queue, Stream, TestClock } from "effect"
import {
  CompletePairing,
  DeleteSession,
  EngineEvent,
  EventStore,
  OrgId,
  PhoneNumber,
  SessionEngine,
  type SessionId,
  SessionService,
  StartPairing,
  WaIdentity
} from "@wa-gateway/domain"
import { EventStoreMemory } from "../store/event-store-memory.js"
import { SessionSupervisor } from "./session-supervisor.js"
import { SimulatorControl } from "./simulator/simulator-control.js"
import { simulatorEngineLayer } from "./simulator/simulator-engine.js"

const org = OrgId.make("acme")
const phone = PhoneNumber.make("628123456789")

const domain = Layer.provideMerge(SessionService.Live, EventStoreMemory)
const supervised = (base: Layer.Layer<EventStore | SessionService>) =>
  Layer.provideMerge(SessionSupervisor.Live, Layer.merge(base, simulatorEngineLayer({ seed: 3 })))

type Env = EventStore | SessionService | SessionEngine | SimulatorControl | SessionSupervisor

const withGateway = <A, E>(effect: Effect.Effect<A, E, Env>) => Effect.provide(effect, supervised(domain))

/** Subscribes, runs `cause`, and waits until the supervisor has handled the event it caused. */
const causeAndAwait = <E, R>(cause: Effect.Effect<EngineEvent, E, R>) =>
  Effect.scoped(Effect.gen(function* () {
    const handled = yield* (yield* SessionSupervisor).handled
    const event = yield* cause
    while ((yield* Queue.take(handled)) !== event) { /* an earlier event */ }
    return event
  }))

const awaitHandled = <R>(tag: EngineEvent["_tag"], trigger: Effect.Effect<unknown, never, R>) =>
  Effect.scoped(Effect.gen(function* () {
    const handled = yield* (yield* SessionSupervisor).handled
    yield* trigger
    while ((yield* Queue.take(handled))._tag !== tag) { /* an earlier event */ }
  }))

const pairingByQr = Effect.gen(function* () {
  const service = yield* SessionService
  const engine = yield* SessionEngine
  const record = yield* service.create(org, "support")
  yield* service.execute(org, record.sessionId, new StartPairing({ method: "qr" }))
  yield* engine.startPairing(record.sessionId, { _tag: "Qr" })
  return record.sessionId
})

const pairedByQr = Effect.gen(function* () {
  const sessionId = yield* pairingByQr
  const control = yield* SimulatorControl
  yield* causeAndAwait(control.scan(sessionId, { phoneNumber: phone, pushName: "Acme" }))
  return sessionId
})

const eventTypes = (sessionId: SessionId) =>
  Effect.flatMap(SessionService, (s) => Effect.map(s.history(org, sessionId), (events) => events.map((e) => e.event._tag)))

describe("SessionSupervisor", () => {
  it.effect("a scan on the phone becomes SessionPaired with the phone's identity, and the session is connected", () =>
    withGateway(Effect.gen(function* () {
      const sessionId = yield* pairedByQr
      const record = yield* (yield* SessionService).get(org, sessionId)
      expect(record.status).toBe("paired")
      expect(record.phoneNumber).toBe(phone)
      expect(record.waJid).toMatch(/^628123456789:\d+@s\.whatsapp\.net$/)
      expect(record.pushName).toBe("Acme")
      expect(yield* (yield* SessionSupervisor).isConnected(sessionId)).toBe(true)
      expect(yield* eventTypes(sessionId)).toEqual(["SessionCreated", "PairingStarted", "SessionPaired"])
    })))

  it.effect("unlinking on the phone logs the session out by the device and marks it disconnected", () =>
    withGateway(Effect.gen(function* () {
      const sessionId = yield* pairedByQr
      yield* causeAndAwait((yield* SimulatorControl).unlink(sessionId))
      const history = yield* (yield* SessionService).history(org, sessionId)
      expect(history.at(-1)?.event).toMatchObject({ _tag: "LoggedOut", by: "device" })
      expect(yield* (yield* SessionSupervisor).isConnected(sessionId)).toBe(false)
    })))

  it.effect("an unanswered pairing fails as expired and returns the session to unpaired", () =>
    withGateway(Effect.gen(function* () {
      const sessionId = yield* pairingByQr
      yield* awaitHandled("PairingFailed", TestClock.adjust("60 seconds"))
      const history = yield* (yield* SessionService).history(org, sessionId)
      expect(history.at(-1)?.event).toMatchObject({ _tag: "PairingFailed", reason: "expired" })
      expect((yield* (yield* SessionService).get(org, sessionId)).status).toBe("unpaired")
    })))

  it.effect("a dropped connection is disconnected until the engine reconnects", () =>
    withGateway(Effect.gen(function* () {
      const sessionId = yield* pairedByQr
      const supervisor = yield* SessionSupervisor
      yield* causeAndAwait((yield* SimulatorControl).dropConnection(sessionId, 1000))
      expect(yield* supervisor.isConnected(sessionId)).toBe(false)
      yield* awaitHandled("Connected", TestClock.adjust("1 second"))
      expect(yield* supervisor.isConnected(sessionId)).toBe(true)
      // Connection state is runtime only: the stream did not change.
      expect(yield* eventTypes(sessionId)).toEqual(["SessionCreated", "PairingStarted", "SessionPaired"])
    })))

  it.effect("a device that pairs a deleted session is ignored and unlinked, and later events still flow", () =>
    withGateway(Effect.gen(function* () {
      const service = yield* SessionService
      const control = yield* SimulatorControl
      const gone = yield* pairingByQr
      yield* service.execute(org, gone, new DeleteSession())
      yield* causeAndAwait(control.scan(gone, { phoneNumber: phone }))
      expect(yield* (yield* SessionSupervisor).isConnected(gone)).toBe(false)
      expect(yield* Effect.flip(control.unlink(gone))).toMatchObject({ reason: "not_linked" })

      const alive = yield* pairedByQr
      expect((yield* service.get(org, alive)).status).toBe("paired")
    })))

  it.effect("delete purges the engine and forgets the connection", () =>
    withGateway(Effect.gen(function* () {
      const sessionId = yield* pairedByQr
      const supervisor = yield* SessionSupervisor
      yield* supervisor.deleted(sessionId)
      expect(yield* supervisor.isConnected(sessionId)).toBe(false)
      expect(yield* Effect.flip((yield* SimulatorControl).unlink(sessionId))).toMatchObject({ reason: "not_linked" })
    })))

  it.scoped("on boot it resumes every paired session and expires pairings left from before", () =>
    Effect.gen(function* () {
      const before = yield* Layer.build(domain)
      const { paired, pairing } = yield* Effect.provide(
        Effect.gen(function* () {
          const service = yield* SessionService
          const identity = new WaIdentity({ phoneNumber: phone, waJid: `${phone}:3@s.whatsapp.net`, waLid: null, pushName: null })
          const ids: Array<SessionId> = []
          for (const name of ["a", "b", "c"]) {
            const { sessionId } = yield* service.create(org, name)
            yield* service.execute(org, sessionId, new StartPairing({ method: "qr" }))
            yield* service.execute(org, sessionId, new CompletePairing({ identity }))
            ids.push(sessionId)
          }
          const { sessionId } = yield* service.create(org, "half-way")
          yield* service.execute(org, sessionId, new StartPairing({ method: "qr" }))
          return { paired: ids, pairing: sessionId }
        }),
        before
      )

      const after = yield* Layer.build(supervised(Layer.succeedContext(before)))
      const supervisor = Context.get(after, SessionSupervisor)
      // The resumed sessions' Connected events are handled by the supervisor's own fiber.
      const connected = yield* Effect.repeat(
        Effect.forEach(paired, supervisor.isConnected),
        { until: (flags) => flags.every(Boolean), times: 1000 }
      )
      expect(connected).toEqual([true, true, true])
      const service = Context.get(after, SessionService)
      expect((yield* service.get(org, pairing)).status).toBe("unpaired")
      expect((yield* service.history(org, pairing)).at(-1)?.event).toMatchObject({ _tag: "PairingFailed", reason: "expired" })
    }))

  it.effect("a pairing failure reported after the pairing was restarted does not fail the new attempt", () =>
    Effect.gen(function* () {
      // A scripted engine: its events are pushed by the test, and it shows a challenge (the restarted pairing).
      const events = yield* Queue.unbounded<EngineEvent>()
      const showing = { _tag: "Qr" as const, qr: "2@new", expiresAt: new Date(20_000) }
      const scripted = Layer.succeed(SessionEngine, {
        name: "scripted",
        startPairing: () => Effect.succeed(showing),
        currentChallenge: () => Effect.succeed(Option.some(showing)),
        logout: () => Effect.void,
        resume: () => Effect.void,
        stop: () => Effect.void,
        purge: () => Effect.void,
        events: Stream.fromQueue(events)
      })
      yield* Effect.gen(function* () {
        const service = yield* SessionService
        const { sessionId } = yield* service.create(org, "restarted")
        yield* service.execute(org, sessionId, new StartPairing({ method: "qr" }))
        yield* awaitHandled("PairingFailed", Queue.offer(events, EngineEvent.PairingFailed({ sessionId, reason: "expired" })))
        expect((yield* service.get(org, sessionId)).status).toBe("pairing")
      }).pipe(Effect.provide(Layer.provideMerge(SessionSupervisor.Live, Layer.merge(domain, scripted))))
    }))
})
