import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Effect, Exit, Fiber, Layer, Option, Queue, Ref, Scope, Stream, TestClock } from "effect"
import {
  CompletePairing,
  DeleteSession,
  EngineEvent,
  EventStore,
  OrgId,
  PairingAttemptId,
  PhoneNumber,
  SessionEngine,
  type SessionId,
  SessionService,
  StartQrPairing,
  StoreUnavailable,
  WaIdentity
} from "@wa-gateway/domain"
import { ConnectionLog } from "../store/connection-log.js"
import { ConnectionLogMemory } from "../store/connection-log-memory.js"
import { EventStoreMemory } from "../store/event-store-memory.js"
import { SessionSupervisor } from "./session-supervisor.js"
import { SimulatedPhone } from "./simulator/simulated-phone.js"
import { simulatorEngineLayer } from "./simulator/simulator-engine.js"

const org = OrgId.make("acme")
const phone = PhoneNumber.make("628123456789")
const attemptId = PairingAttemptId.make("pair_01HZX8K3M9ABCDEFGHJKMNPQRS")

const domain = Layer.provideMerge(SessionService.Live, Layer.merge(EventStoreMemory, ConnectionLogMemory))
const supervised = (base: Layer.Layer<EventStore | ConnectionLog | SessionService>) =>
  Layer.provideMerge(SessionSupervisor.Live, Layer.merge(base, simulatorEngineLayer({ seed: 3 })))

type Env = EventStore | ConnectionLog | SessionService | SessionEngine | SimulatedPhone | SessionSupervisor

/** Runs once the boot pass is over, so it cannot resume a session the test pairs. */
const withGateway = <A, E>(effect: Effect.Effect<A, E, Env>) =>
  Effect.provide(
    Effect.zipRight(Effect.flatMap(SessionSupervisor, (s) => Effect.repeat(s.resumeProgress, { until: (p) => p.done })), effect),
    supervised(domain)
  )

/** Subscribes, runs `cause`, and waits until the supervisor has handled the event it caused. */
const causeAndAwait = <E, R>(cause: Effect.Effect<EngineEvent, E, R>) =>
  Effect.scoped(Effect.gen(function* () {
    const handled = yield* (yield* SessionSupervisor).handled
    const event = yield* cause
    while ((yield* Queue.take(handled)) !== event) { /* an earlier event */ }
    return event
  }))

/** Runs `trigger` and waits until the supervisor has handled an event with this tag (of this session, if given). */
const awaitHandled = <R>(tag: EngineEvent["_tag"], trigger: Effect.Effect<unknown, never, R>, sessionId?: SessionId) =>
  Effect.scoped(Effect.gen(function* () {
    const handled = yield* (yield* SessionSupervisor).handled
    yield* trigger
    while (true) {
      const event = yield* Queue.take(handled)
      if (event._tag === tag && (sessionId === undefined || event.sessionId === sessionId)) return
    }
  }))

const pairingByQr = Effect.gen(function* () {
  const service = yield* SessionService
  const engine = yield* SessionEngine
  const { sessionId } = yield* service.create(org, "support")
  yield* service.execute(org, new StartQrPairing({ sessionId, attemptId }))
  yield* engine.startPairing(sessionId, { _tag: "Qr", attemptId })
  return sessionId
})

const pairedByQr = Effect.gen(function* () {
  const sessionId = yield* pairingByQr
  const phoneSim = yield* SimulatedPhone
  yield* causeAndAwait(phoneSim.scan(sessionId, { phoneNumber: phone, pushName: "Acme" }))
  return sessionId
})

const eventTypes = (sessionId: SessionId) =>
  Effect.flatMap(SessionService, (s) => Effect.map(s.history(org, sessionId), (events) => events.map((e) => e.event._tag)))

const isConnected = (sessionId: SessionId) => Effect.flatMap(SessionEngine, (engine) => engine.isConnected(sessionId))

/** An engine whose events the test pushes, over the simulator for everything else. */
const scriptedEngine = (events: Queue.Queue<EngineEvent>, alter: Partial<Context.Tag.Service<SessionEngine>> = {}) =>
  Layer.effect(SessionEngine, Effect.map(SessionEngine, (real) => ({ ...real, ...alter, events: Stream.fromQueue(events) }))).pipe(
    Layer.provide(simulatorEngineLayer({ seed: 3 }))
  )

describe("SessionSupervisor", () => {
  it.effect("a scan on the phone becomes SessionPaired with the phone's identity, and the session is connected", () =>
    withGateway(Effect.gen(function* () {
      const sessionId = yield* pairedByQr
      const record = yield* (yield* SessionService).get(org, sessionId)
      expect(record.status).toBe("paired")
      expect(record.identity?.phoneNumber).toBe(phone)
      expect(record.identity?.waJid).toMatch(/^628123456789:\d+@s\.whatsapp\.net$/)
      expect(record.identity?.pushName).toBe("Acme")
      expect(yield* isConnected(sessionId)).toBe(true)
      expect(yield* eventTypes(sessionId)).toEqual(["SessionCreated", "PairingStarted", "SessionPaired"])
    })))

  it.effect("handledOf gives one session's handled events only, and nothing once its scope has closed", () =>
    withGateway(Effect.gen(function* () {
      const supervisor = yield* SessionSupervisor
      const one = yield* pairedByQr
      const other = yield* pairedByQr
      const phoneSim = yield* SimulatedPhone
      const scope = yield* Scope.make()
      const ofOne = yield* Scope.extend(supervisor.handledOf(one), scope)
      yield* causeAndAwait(phoneSim.dropConnection(other, 1000))
      yield* causeAndAwait(phoneSim.dropConnection(one, 1000))
      const received = yield* Queue.takeAll(ofOne)
      expect([...received].map((e) => [e._tag, e.sessionId])).toEqual([["Disconnected", one]])
      yield* Scope.close(scope, Exit.void)
      expect(yield* Queue.isShutdown(ofOne)).toBe(true)
      // Its reconnection is handled as before, with no subscriber left to offer it to.
      yield* awaitHandled("Connected", TestClock.adjust("1 second"), one)
    })))

  it.effect("unlinking on the phone logs the session out by the device and marks it disconnected", () =>
    withGateway(Effect.gen(function* () {
      const sessionId = yield* pairedByQr
      yield* causeAndAwait((yield* SimulatedPhone).unlink(sessionId))
      const history = yield* (yield* SessionService).history(org, sessionId)
      expect(history.at(-1)?.event).toMatchObject({ _tag: "LoggedOut", by: "device" })
      expect(yield* isConnected(sessionId)).toBe(false)
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
      yield* causeAndAwait((yield* SimulatedPhone).dropConnection(sessionId, 1000))
      expect(yield* isConnected(sessionId)).toBe(false)
      yield* awaitHandled("Connected", TestClock.adjust("1 second"))
      expect(yield* isConnected(sessionId)).toBe(true)
      // Connection state is runtime only: the stream did not change.
      expect(yield* eventTypes(sessionId)).toEqual(["SessionCreated", "PairingStarted", "SessionPaired"])
    })))

  it.effect("a device that pairs a deleted session is ignored and unlinked, and later events still flow", () =>
    withGateway(Effect.gen(function* () {
      const service = yield* SessionService
      const phoneSim = yield* SimulatedPhone
      const gone = yield* pairingByQr
      yield* service.execute(org, new DeleteSession({ sessionId: gone }))
      yield* causeAndAwait(phoneSim.scan(gone, { phoneNumber: phone }))
      expect(yield* isConnected(gone)).toBe(false)
      expect(yield* Effect.flip(phoneSim.unlink(gone))).toMatchObject({ reason: "not_linked" })

      const alive = yield* pairedByQr
      expect((yield* service.get(org, alive)).status).toBe("paired")
    })))

  it.effect("delete purges the engine", () =>
    withGateway(Effect.gen(function* () {
      const sessionId = yield* pairedByQr
      yield* (yield* SessionSupervisor).deleted(sessionId)
      expect(yield* isConnected(sessionId)).toBe(false)
      expect(yield* Effect.flip((yield* SimulatedPhone).unlink(sessionId))).toMatchObject({ reason: "not_linked" })
    })))

  it.scoped("on boot it resumes every paired session in the background and expires pairings left from before", () =>
    Effect.gen(function* () {
      const before = yield* Layer.build(domain)
      const { paired, pairing } = yield* Effect.provide(
        Effect.gen(function* () {
          const service = yield* SessionService
          const identity = new WaIdentity({ phoneNumber: phone, waJid: `${phone}:3@s.whatsapp.net`, waLid: null, pushName: null })
          const ids: Array<SessionId> = []
          for (const name of ["a", "b", "c"]) {
            const { sessionId } = yield* service.create(org, name)
            yield* service.execute(org, new StartQrPairing({ sessionId, attemptId }))
            yield* service.execute(org, new CompletePairing({ sessionId, attemptId, identity }))
            ids.push(sessionId)
          }
          const { sessionId } = yield* service.create(org, "half-way")
          yield* service.execute(org, new StartQrPairing({ sessionId, attemptId }))
          return { paired: ids, pairing: sessionId }
        }),
        before
      )

      const after = yield* Layer.build(supervised(Layer.succeedContext(before)))
      const supervisor = Context.get(after, SessionSupervisor)
      const engine = Context.get(after, SessionEngine)
      const progress = yield* Effect.repeat(supervisor.resumeProgress, { until: (p) => p.done, times: 1000 })
      expect(progress).toMatchObject({ total: 3, pending: 0, done: true, durationMs: expect.any(Number) })
      expect(yield* Effect.forEach(paired, engine.isConnected)).toEqual([true, true, true])
      const service = Context.get(after, SessionService)
      expect((yield* service.get(org, pairing)).status).toBe("unpaired")
      expect((yield* service.history(org, pairing)).at(-1)?.event).toMatchObject({ _tag: "PairingFailed", reason: "expired" })
    }))

  it.scoped("resumes at most `resumeConcurrency` sessions at once, and the layer is built before any has resumed", () =>
    Effect.gen(function* () {
      const before = yield* Layer.build(domain)
      const service = Context.get(before, SessionService)
      const identity = new WaIdentity({ phoneNumber: phone, waJid: `${phone}:3@s.whatsapp.net`, waLid: null, pushName: null })
      for (let i = 0; i < 12; i++) {
        const { sessionId } = yield* service.create(org, `s${i}`)
        yield* service.execute(org, new StartQrPairing({ sessionId, attemptId }))
        yield* service.execute(org, new CompletePairing({ sessionId, attemptId, identity }))
      }
      const gate = yield* Deferred.make<void>()
      const running = yield* Ref.make({ now: 0, most: 0 })
      const slowResume = Layer.effect(SessionEngine, Effect.map(SessionEngine, (real) => ({
        ...real,
        resume: (sessionId: SessionId) =>
          Ref.update(running, (r) => ({ now: r.now + 1, most: Math.max(r.most, r.now + 1) })).pipe(
            Effect.zipRight(Deferred.await(gate)),
            Effect.zipRight(real.resume(sessionId)),
            Effect.ensuring(Ref.update(running, (r) => ({ ...r, now: r.now - 1 })))
          )
      }))).pipe(Layer.provide(simulatorEngineLayer({ seed: 3 })))
      const after = yield* Layer.build(
        Layer.provideMerge(SessionSupervisor.layer({ resumeConcurrency: 4 }), Layer.merge(Layer.succeedContext(before), slowResume))
      )
      const supervisor = Context.get(after, SessionSupervisor)
      // Built and answering while every resume is still held at the gate.
      yield* Effect.repeat(Ref.get(running), { until: (r) => r.now === 4, times: 1000 })
      expect(yield* supervisor.resumeProgress).toEqual({ total: 12, pending: 12, done: false, durationMs: null })
      yield* Deferred.succeed(gate, undefined)
      const done = yield* Effect.repeat(supervisor.resumeProgress, { until: (p) => p.done, times: 10_000 })
      expect(done).toMatchObject({ total: 12, pending: 0, done: true, durationMs: expect.any(Number) })
      expect((yield* Ref.get(running)).most).toBe(4)
    }))

  it.effect("a pairing event of an older attempt does not touch the attempt in progress", () =>
    Effect.gen(function* () {
      const events = yield* Queue.unbounded<EngineEvent>()
      yield* Effect.gen(function* () {
        const service = yield* SessionService
        const { sessionId } = yield* service.create(org, "restarted")
        yield* service.execute(org, new StartQrPairing({ sessionId, attemptId }))
        const older = PairingAttemptId.make("pair_01HZX8K3M9ABCDEFGHJKMNPQRA")
        yield* awaitHandled("PairingFailed", Queue.offer(events, EngineEvent.PairingFailed({ sessionId, attemptId: older, reason: "expired" })))
        expect((yield* service.get(org, sessionId)).status).toBe("pairing")
        yield* awaitHandled("PairingFailed", Queue.offer(events, EngineEvent.PairingFailed({ sessionId, attemptId, reason: "expired" })))
        expect((yield* service.get(org, sessionId)).status).toBe("unpaired")
      }).pipe(Effect.provide(Layer.provideMerge(SessionSupervisor.Live, Layer.merge(domain, scriptedEngine(events)))))
    }))

  it.effect("a push name WhatsApp sent with a NUL or a lone surrogate is stored with them replaced, and the pairing kept", () =>
    Effect.gen(function* () {
      const events = yield* Queue.unbounded<EngineEvent>()
      yield* Effect.gen(function* () {
        const service = yield* SessionService
        const { sessionId } = yield* service.create(org, "odd name")
        yield* service.execute(org, new StartQrPairing({ sessionId, attemptId }))
        const identity = new WaIdentity({ phoneNumber: phone, waJid: `${phone}:4@s.whatsapp.net`, waLid: null, pushName: "a\u0000b\ud800" })
        yield* awaitHandled("Paired", Queue.offer(events, EngineEvent.Paired({ sessionId, attemptId, identity })))
        const record = yield* service.get(org, sessionId)
        expect(record).toMatchObject({ status: "paired", identity: { pushName: "a\ufffdb\ufffd" } })
      }).pipe(Effect.provide(Layer.provideMerge(SessionSupervisor.Live, Layer.merge(domain, scriptedEngine(events)))))
    }))

  it.live("an event the store cannot take now is retried until it is stored, while other sessions' events flow", () =>
    Effect.gen(function* () {
      const events = yield* Queue.unbounded<EngineEvent>()
      const blocked = yield* Ref.make<SessionId | null>(null)
      const failures = yield* Ref.make(0)
      // The store refuses appends of one session until told otherwise, as PostgreSQL going away would.
      const flakyStore = Layer.effect(EventStore, Effect.map(EventStore, (real) => ({
        ...real,
        append: (request: Parameters<typeof real.append>[0]) =>
          Effect.flatMap(Ref.get(blocked), (id) =>
            id === request.streamId
              ? Effect.zipRight(Ref.update(failures, (n) => n + 1), Effect.fail(new StoreUnavailable({ message: "down" })))
              : real.append(request))
      }))).pipe(Layer.provide(EventStoreMemory))
      const flakyDomain = Layer.provideMerge(SessionService.Live, Layer.merge(flakyStore, ConnectionLogMemory))
      yield* Effect.gen(function* () {
        const service = yield* SessionService
        const stuck = (yield* service.create(org, "stuck")).sessionId
        const other = (yield* service.create(org, "other")).sessionId
        for (const sessionId of [stuck, other]) yield* service.execute(org, new StartQrPairing({ sessionId, attemptId }))
        yield* Ref.set(blocked, stuck)
        const stuckHandled = yield* Effect.fork(
          awaitHandled("PairingFailed", Queue.offer(events, EngineEvent.PairingFailed({ sessionId: stuck, attemptId, reason: "expired" })), stuck)
        )
        yield* Effect.repeat(Ref.get(failures), { until: (n) => n >= 2 })
        // The other session is not held up behind the one that is retrying.
        yield* awaitHandled("PairingFailed", Queue.offer(events, EngineEvent.PairingFailed({ sessionId: other, attemptId, reason: "expired" })), other)
        expect((yield* service.get(org, other)).status).toBe("unpaired")
        expect((yield* service.get(org, stuck)).status).toBe("pairing")
        // The store comes back: the retried event lands.
        yield* Ref.set(blocked, null)
        yield* Fiber.join(stuckHandled)
        expect((yield* service.get(org, stuck)).status).toBe("unpaired")
        expect(Option.isSome(yield* Effect.flatMap(EventStore, (s) => s.getSession(stuck)))).toBe(true)
      }).pipe(Effect.provide(Layer.provideMerge(SessionSupervisor.Live, Layer.merge(flakyDomain, scriptedEngine(events)))))
    }))
})
