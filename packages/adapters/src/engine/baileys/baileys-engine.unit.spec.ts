import { describe, expect, it } from "@effect/vitest"
import { type Context, type Duration, Effect, Either, Exit, Fiber, HashMap, Layer, Logger, LogLevel, Option, Random, Ref, Scope, TestClock } from "effect"
import {
  CompletePairing,
  EventStore,
  makePairingAttemptId,
  OrgId,
  PairingAttemptId,
  PhoneNumber,
  SessionEngine,
  type SessionId,
  SessionDeleted,
  SessionService,
  StartQrPairing,
  WaIdentity
} from "@wa-gateway/domain"
import { AuthStateStore } from "../../store/auth-state-store.js"
import { appendHistory, appendRequest, created, newOrg } from "../../store/event-store.contract.spec-helper.js"
import { MemoryStores, type Stores } from "../../store/stores.js"
import { randomSessionId } from "../../store/test-database.spec-helper.js"
import { expectTag, nextEvent } from "../session-engine.contract.spec-helper.js"
import { SessionSupervisor } from "../session-supervisor.js"
import { SimulatedPhone } from "../simulator/simulated-phone.js"
import { encodeCreds, readCreds } from "./auth-state.js"
import { initAuthCreds } from "./baileys.js"
import { type BaileysEngineOptions, baileysEngineLayer } from "./baileys-engine.js"
import { isPaired } from "./creds.js"
import { boom, FakeSockets, fakeSockets, type FakeSocketsOptions } from "./fake-sockets.spec-helper.js"

const phone = PhoneNumber.make("628123456789")
const attemptId = PairingAttemptId.make("pair_01HZX8K3M9ABCDEFGHJKMNPQRS")

type Env = SessionEngine | SimulatedPhone | FakeSockets | Stores

interface Setup {
  readonly sockets?: FakeSocketsOptions
  readonly engine?: BaileysEngineOptions
  /** The backoff's jitter draws (default: always the top, so a delay is its cap). */
  readonly random?: Random.Random
  /** Alters the auth state store the engine sees (the test sees the real one). */
  readonly store?: (real: Context.Tag.Service<AuthStateStore>) => Effect.Effect<Context.Tag.Service<AuthStateStore>>
}

const engineLayer = (setup: Setup = {}): Layer.Layer<Env> =>
  baileysEngineLayer(setup.engine).pipe(
    Layer.provide(Layer.effect(AuthStateStore, Effect.flatMap(AuthStateStore, setup.store ?? Effect.succeed))),
    Layer.provideMerge(Layer.merge(fakeSockets(setup.sockets), MemoryStores)),
    Layer.provideMerge(Layer.setRandom(setup.random ?? Random.fixed([1])))
  )

const onEngine = <A, E>(effect: Effect.Effect<A, E, Env>, setup?: Setup) =>
  Effect.provide(
    Effect.tap(effect, () =>
      // Whatever the test did: never two sockets of one session at once.
      Effect.map(FakeSockets, (fake) => expect(fake.maxAlivePerSession()).toBeLessThanOrEqual(1))),
    engineLayer(setup)
  )

/** A session that exists in the store (its auth state is writable). */
const newSessionOf = Effect.gen(function* () {
  const sessionId = randomSessionId()
  const orgId = newOrg()
  yield* appendHistory(sessionId, orgId, [created(sessionId, orgId)])
  return { sessionId, orgId }
})
const newSession = Effect.map(newSessionOf, ({ sessionId }) => sessionId)

const engine = SessionEngine
const fake = FakeSockets

/** Paired by QR and connected; answers the identity. */
const pairedSession = Effect.gen(function* () {
  const sessionId = yield* newSession
  yield* (yield* engine).startPairing(sessionId, { _tag: "Qr", attemptId })
  expectTag(yield* nextEvent, "QrUpdated")
  yield* (yield* SimulatedPhone).scan(sessionId, { phoneNumber: phone, pushName: "Acme" })
  const { identity } = expectTag(yield* nextEvent, "Paired")
  expectTag(yield* nextEvent, "Connected")
  return { sessionId, identity }
})

/** Asserts that the engine reports nothing while the clock moves on by `duration`. */
const nothingReportedWithin = (duration: Duration.DurationInput) =>
  Effect.gen(function* () {
    const next = yield* Effect.fork(nextEvent)
    yield* TestClock.adjust(duration)
    const polled = yield* Fiber.poll(next)
    yield* Fiber.interrupt(next)
    expect(Option.map(polled, Exit.map((e) => e._tag))).toEqual(Option.none())
  })

const storedCreds = (sessionId: SessionId) =>
  Effect.map(readCreds(sessionId), Option.flatMap(Either.getRight))

/** The server closes the session's socket with this code (a stream error or failure). */
const serverCloses = (sessionId: SessionId, code: number, message: string) =>
  Effect.flatMap(fake, (sockets) => Effect.promise(() => sockets.current(sessionId)?.end(boom(code, message)) ?? Promise.resolve()))

const socketCount = (sessionId: SessionId) => Effect.map(fake, (f) => f.sockets(sessionId).length)

describe("Baileys engine on fake sockets", () => {
  describe("QR pairing", () => {
    it.effect("each qr becomes the challenge, unchanged: the first shown 60 s, later ones 20 s", () =>
      onEngine(Effect.gen(function* () {
        const sessionId = yield* newSession
        const challenge = yield* (yield* engine).startPairing(sessionId, { _tag: "Qr", attemptId })
        if (challenge._tag !== "Qr") return expect.fail("expected a QR")
        expect(challenge.qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#2@/)
        expect(challenge.expiresAt.getTime()).toBe(60_000)
        expect(expectTag(yield* nextEvent, "QrUpdated").qr).toBe(challenge.qr)

        yield* TestClock.adjust("60 seconds")
        const second = expectTag(yield* nextEvent, "QrUpdated")
        expect(second.qr).not.toBe(challenge.qr)
        expect(second.expiresAt.getTime()).toBe(80_000)
        expect(Option.map(yield* (yield* engine).currentChallenge(sessionId), (c) => c._tag === "Qr" ? c.qr : "")).toEqual(Option.some(second.qr))
        // One socket shows them all: a QR pairing is one registration.
        expect(yield* socketCount(sessionId)).toBe(1)
      })))

    it.effect("a scan pairs: WhatsApp restarts (515), the same creds log in at once, and open reports the identity, then Connected", () =>
      onEngine(Effect.gen(function* () {
        const sessionId = yield* newSession
        yield* (yield* engine).startPairing(sessionId, { _tag: "Qr", attemptId })
        yield* nextEvent
        yield* (yield* SimulatedPhone).scan(sessionId, { phoneNumber: phone, pushName: "Acme Support" })
        const paired = expectTag(yield* nextEvent, "Paired")
        expect(paired.identity).toEqual(new WaIdentity({
          phoneNumber: phone,
          waJid: "628123456789:1@s.whatsapp.net",
          waLid: "100000000000001:1@lid",
          pushName: "Acme Support"
        }))
        expectTag(yield* nextEvent, "Connected")
        expect(yield* (yield* engine).isConnected(sessionId)).toBe(true)

        const [pairing, login] = (yield* fake).sockets(sessionId)
        // No wait after the 515, and the login socket uses the creds the pairing filled in.
        expect((yield* TestClock.currentTimeMillis)).toBe(0)
        expect(login?.creds).toBe(pairing?.creds)
        expect(login?.meAtStart?.id).toBe(paired.identity.waJid)
        // The creds as stored are the paired ones.
        const stored = yield* storedCreds(sessionId)
        expect(Option.map(stored, isPaired)).toEqual(Option.some(true))
        expect(Option.map(stored, (c) => c.me?.id)).toEqual(Option.some(paired.identity.waJid))
      })))

    it.effect("a 515 on an open socket reconnects at once and reports the restart", () =>
      onEngine(Effect.gen(function* () {
        const { sessionId } = yield* pairedSession
        yield* serverCloses(sessionId, 515, "Stream Errored (restart required)")
        expect(expectTag(yield* nextEvent, "Disconnected")).toMatchObject({ cause: "restart_required", willReconnect: true })
        expectTag(yield* nextEvent, "Connected")
        expect(yield* socketCount(sessionId)).toBe(3)
      })))
  })

  describe("code pairing", () => {
    it.effect("asks for the code only after the server's first qr, shows it as ABCD-1234, and pairs the phone that enters it", () =>
      onEngine(Effect.gen(function* () {
        const sessionId = yield* newSession
        const challenge = yield* (yield* engine).startPairing(sessionId, { _tag: "Code", attemptId, phone })
        if (challenge._tag !== "Code") return expect.fail("expected a code")
        expect(challenge.code).toMatch(/^[1-9A-HJ-NP-Z]{4}-[1-9A-HJ-NP-Z]{4}$/)
        expect((yield* fake).codeRequests()).toEqual([{ sessionId, afterQr: true }])
        // The QRs of a code pairing are not challenges: the first event is the code.
        expect(expectTag(yield* nextEvent, "PairingCodeIssued").code).toBe(challenge.code)

        yield* (yield* SimulatedPhone).enterCode(sessionId, { code: challenge.code })
        expect(expectTag(yield* nextEvent, "Paired").identity).toMatchObject({ phoneNumber: phone, waJid: "628123456789:1@s.whatsapp.net", pushName: null })
        expectTag(yield* nextEvent, "Connected")
        expect(Option.map(yield* storedCreds(sessionId), (c) => c.registered)).toEqual(Option.some(true))
      })))

    it.effect("a code pairing cut off leaves a half-made creds.me, which the next pairing does not reuse", () =>
      onEngine(Effect.gen(function* () {
        const sessionId = yield* newSession
        yield* (yield* engine).startPairing(sessionId, { _tag: "Code", attemptId, phone })
        yield* nextEvent
        const half = yield* storedCreds(sessionId)
        expect(Option.map(half, (c) => [c.me?.id, isPaired(c)])).toEqual(Option.some(["628123456789@s.whatsapp.net", false]))

        yield* serverCloses(sessionId, 428, "Connection Terminated")
        expect(expectTag(yield* nextEvent, "PairingFailed").reason).toBe("engine_error")
        // Never paired: it does not reconnect on its own (a login with that creds.me would be refused 401).
        yield* nothingReportedWithin("10 minutes")
        expect(yield* socketCount(sessionId)).toBe(1)

        yield* (yield* engine).startPairing(sessionId, { _tag: "Qr", attemptId })
        expectTag(yield* nextEvent, "QrUpdated")
        const retry = (yield* fake).current(sessionId)
        expect(retry?.meAtStart).toBeUndefined()
        expect(Option.map(yield* storedCreds(sessionId), (c) => c.me)).toEqual(Option.some(undefined))
      })))
  })

  describe("close reasons", () => {
    it.effect("401 from the phone: Disconnected (logged_out), LoggedOutByDevice, the auth state erased, no reconnect", () =>
      onEngine(Effect.gen(function* () {
        const { sessionId } = yield* pairedSession
        yield* (yield* SimulatedPhone).unlink(sessionId)
        expect(expectTag(yield* nextEvent, "Disconnected")).toMatchObject({ cause: "logged_out", willReconnect: false })
        expectTag(yield* nextEvent, "LoggedOutByDevice")
        expect(yield* readCreds(sessionId)).toEqual(Option.none())
        yield* nothingReportedWithin("10 minutes")
        expect(yield* socketCount(sessionId)).toBe(2)
        expect(yield* (yield* engine).isConnected(sessionId)).toBe(false)
      })))

    it.effect("440 replaced: reported, and never fought over: no reconnect", () =>
      onEngine(Effect.gen(function* () {
        const { sessionId } = yield* pairedSession
        yield* serverCloses(sessionId, 440, "Stream Errored (conflict)")
        expect(expectTag(yield* nextEvent, "Disconnected")).toMatchObject({ cause: "replaced", willReconnect: false })
        yield* nothingReportedWithin("1 hour")
        expect(yield* socketCount(sessionId)).toBe(2)
        expect(yield* (yield* engine).isConnected(sessionId)).toBe(false)
        // The creds stay: a later resume (e.g. the next start) may take the session back.
        expect(Option.map(yield* storedCreds(sessionId), isPaired)).toEqual(Option.some(true))
      })))

    it.effect("403 forbidden: reported as terminal, no reconnect", () =>
      onEngine(Effect.gen(function* () {
        const { sessionId } = yield* pairedSession
        yield* serverCloses(sessionId, 403, "Connection Failure")
        expect(expectTag(yield* nextEvent, "Disconnected")).toMatchObject({ cause: "forbidden", willReconnect: false })
        yield* nothingReportedWithin("1 hour")
        expect(yield* socketCount(sessionId)).toBe(2)
      })))

    it.effect("a run of 503s backs off 1, 2, 4 … 60, 60 s (the cap, forever); after a stable minute it starts from 1 s again", () =>
      onEngine(Effect.gen(function* () {
        const { sessionId } = yield* pairedSession
        const sockets = yield* fake
        sockets.refuseLogins(sessionId, 503)
        yield* serverCloses(sessionId, 503, "Stream Errored (unavailable)")
        expect(expectTag(yield* nextEvent, "Disconnected")).toMatchObject({ cause: "unavailable", willReconnect: true })
        expect(yield* (yield* engine).isConnected(sessionId)).toBe(false)

        /** Moves the clock to each reconnect's time and sees exactly one new socket appear there, none before. */
        const expectReconnectsAfter = (delays: ReadonlyArray<number>) =>
          Effect.forEach(delays, (delay) =>
            Effect.gen(function* () {
              const before = yield* socketCount(sessionId)
              yield* TestClock.adjust(delay - 1)
              expect(yield* socketCount(sessionId)).toBe(before)
              yield* TestClock.adjust(1)
              expect(yield* socketCount(sessionId)).toBe(before + 1)
            }), { discard: true })

        yield* expectReconnectsAfter([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000])
        // WhatsApp is back: the next attempt, again a minute later, opens.
        sockets.refuseLogins(sessionId, null)
        yield* expectReconnectsAfter([60_000])
        expectTag(yield* nextEvent, "Connected")

        // Open for a minute: stable. The next failure starts the schedule from 1 s.
        yield* TestClock.adjust("60 seconds")
        sockets.refuseLogins(sessionId, 503)
        yield* serverCloses(sessionId, 503, "Stream Errored (unavailable)")
        expectTag(yield* nextEvent, "Disconnected")
        yield* expectReconnectsAfter([1_000, 2_000])
      })))

    it.effect("the jitter is full: each delay is the drawn fraction of its cap", () =>
      onEngine(Effect.gen(function* () {
        const { sessionId } = yield* pairedSession
        const sockets = yield* fake
        sockets.refuseLogins(sessionId, 408)
        yield* serverCloses(sessionId, 408, "Connection was lost")
        expect(expectTag(yield* nextEvent, "Disconnected")).toMatchObject({ cause: "timed_out", willReconnect: true })
        // Draws 0.25, 0.5, 0.75: delays of 250 ms (of the 1 s cap), 1 s (of 2 s), 3 s (of 4 s).
        const expectReconnectAfter = (delay: number) =>
          Effect.gen(function* () {
            const before = yield* socketCount(sessionId)
            yield* TestClock.adjust(delay - 1)
            expect(yield* socketCount(sessionId)).toBe(before)
            yield* TestClock.adjust(1)
            expect(yield* socketCount(sessionId)).toBe(before + 1)
          })
        yield* expectReconnectAfter(250)
        yield* expectReconnectAfter(1_000)
        yield* expectReconnectAfter(3_000)
      }), { random: Random.fixed([0.25, 0.5, 0.75]) }))

    it.effect("411 and codes it does not know are reported and retried later", () =>
      onEngine(Effect.gen(function* () {
        const { sessionId } = yield* pairedSession
        yield* serverCloses(sessionId, 411, "Multi-device beta not joined")
        expect(expectTag(yield* nextEvent, "Disconnected")).toMatchObject({ cause: "unknown", willReconnect: true })
        yield* TestClock.adjust("1 second")
        expectTag(yield* nextEvent, "Connected")
      })))

    it.effect("a pairing socket the server closes fails the pairing; the session does not reconnect by itself", () =>
      onEngine(Effect.gen(function* () {
        const sessionId = yield* newSession
        yield* (yield* engine).startPairing(sessionId, { _tag: "Qr", attemptId })
        yield* nextEvent
        yield* serverCloses(sessionId, 503, "Stream Errored (unavailable)")
        expect(expectTag(yield* nextEvent, "PairingFailed")).toMatchObject({ reason: "engine_error", attemptId })
        yield* nothingReportedWithin("10 minutes")
        expect(yield* socketCount(sessionId)).toBe(1)
        expect(yield* (yield* engine).currentChallenge(sessionId)).toEqual(Option.none())
      })))
  })

  describe("when WhatsApp cannot be reached", () => {
    it.effect("startPairing fails at once as EngineUnavailable when the connection is refused", () =>
      onEngine(Effect.gen(function* () {
        const sessionId = yield* newSession
        ;(yield* fake).unreachableUntil("*", Number.MAX_SAFE_INTEGER)
        const error = yield* Effect.flip((yield* engine).startPairing(sessionId, { _tag: "Qr", attemptId }))
        expect(error).toMatchObject({ _tag: "EngineUnavailable", message: expect.stringContaining("could not be reached") })
        // Nothing left running, nothing reported: the caller has the answer.
        expect((yield* fake).current(sessionId)).toBeUndefined()
        yield* nothingReportedWithin("10 minutes")
      })))

    it.effect("startPairing gives up after 25 s when the server never answers, and ends the socket", () =>
      onEngine(Effect.gen(function* () {
        const sessionId = yield* newSession
        ;(yield* fake).silent("*")
        const pairing = yield* Effect.fork((yield* engine).startPairing(sessionId, { _tag: "Code", attemptId, phone }))
        yield* TestClock.adjust("24 seconds")
        expect(yield* Fiber.poll(pairing)).toEqual(Option.none())
        yield* TestClock.adjust("1 second")
        expect(yield* Effect.flip(Fiber.join(pairing))).toMatchObject({ _tag: "EngineUnavailable", message: expect.stringContaining("25s") })
        expect((yield* fake).current(sessionId)).toBeUndefined()
        expect((yield* fake).codeRequests()).toEqual([])
      })))

    it.effect("a refused certificate chain answers 'server certificate chain refused' and says so in the log", () => {
      const lines: Array<{ level: string; message: string; sessionId: unknown }> = []
      const capture = Logger.replace(Logger.defaultLogger, Logger.make(({ annotations, logLevel, message }) => {
        lines.push({ level: logLevel.label, message: String(Array.isArray(message) ? message.join(" ") : message), sessionId: HashMap.get(annotations, "sessionId").pipe(Option.getOrUndefined) })
      }))
      return onEngine(Effect.gen(function* () {
        const sessionId = yield* newSession
        ;(yield* fake).untrusted("*")
        const error = yield* Effect.flip((yield* engine).startPairing(sessionId, { _tag: "Qr", attemptId }))
        expect(error).toMatchObject({ _tag: "EngineUnavailable", message: "server certificate chain refused" })
        expect(lines).toContainEqual({ level: "ERROR", message: expect.stringContaining("server certificate chain refused"), sessionId })
      }).pipe(Effect.provide(Layer.merge(capture, Logger.minimumLogLevel(LogLevel.All)))))
    })
  })

  it.effect("a runtime's log lines carry its session's id, not the annotations of the request that started it", () => {
    const lines: Array<{ message: string; annotations: Record<string, unknown> }> = []
    const capture = Logger.replace(Logger.defaultLogger, Logger.make(({ annotations, message }) => {
      lines.push({ message: String(Array.isArray(message) ? message.join(" ") : message), annotations: Object.fromEntries(HashMap.toEntries(annotations)) })
    }))
    return onEngine(Effect.gen(function* () {
      const sessionId = yield* newSession
      yield* (yield* engine).startPairing(sessionId, { _tag: "Qr", attemptId }).pipe(Effect.annotateLogs({ requestId: "req-1" }))
      yield* nextEvent
      yield* serverCloses(sessionId, 503, "Stream Errored (unavailable)")
      yield* nextEvent
      const closed = lines.find((l) => l.message.startsWith("socket closed"))
      expect(closed?.annotations).toEqual({ sessionId })
    }).pipe(Effect.provide(Layer.merge(capture, Logger.minimumLogLevel(LogLevel.All)))))
  })

  describe("logout, stop and shutdown", () => {
    it.effect("logout unlinks through the socket's own logout, then erases the auth state", () =>
      onEngine(Effect.gen(function* () {
        const { identity, sessionId } = yield* pairedSession
        yield* (yield* engine).logout(sessionId)
        expect((yield* fake).logouts()).toEqual([sessionId])
        expect(expectTag(yield* nextEvent, "Disconnected")).toMatchObject({ cause: "logged_out", willReconnect: false })
        // Our own logout's 401 is not the phone's: no LoggedOutByDevice.
        yield* nothingReportedWithin("1 minute")
        expect(yield* readCreds(sessionId)).toEqual(Option.none())
        expect(identity.waJid).toMatch(/:1@/)
      })))

    it.effect("logout of a paired session that is offline connects to unlink it; unreachable WhatsApp fails it as unavailable", () =>
      onEngine(Effect.gen(function* () {
        const { sessionId } = yield* pairedSession
        yield* (yield* engine).stop(sessionId)
        yield* nextEvent
        ;(yield* fake).unreachableUntil("*", Number.MAX_SAFE_INTEGER)
        const attempt = yield* Effect.fork((yield* engine).logout(sessionId))
        yield* TestClock.adjust("20 seconds")
        expect(yield* Effect.flip(Fiber.join(attempt))).toMatchObject({ _tag: "EngineUnavailable" })
        // Still linked, creds kept: the session is still paired and may try again.
        expect(Option.map(yield* storedCreds(sessionId), isPaired)).toEqual(Option.some(true))
      })))

    it.effect("stop closes the socket without logging out; resume logs in again with the stored creds", () =>
      onEngine(Effect.gen(function* () {
        const { sessionId } = yield* pairedSession
        yield* (yield* engine).stop(sessionId)
        expect(expectTag(yield* nextEvent, "Disconnected")).toMatchObject({ cause: "shutdown", willReconnect: false })
        expect((yield* fake).logouts()).toEqual([])
        yield* (yield* engine).resume(sessionId)
        expectTag(yield* nextEvent, "Connected")
      })))

    it.effect("shutdown (the layer closing) ends every socket without logging out; the next start resumes them", () =>
      Effect.gen(function* () {
        // One fake WhatsApp and one store across two starts of the engine.
        const world = yield* Layer.build(Layer.merge(fakeSockets(), MemoryStores))
        const start = () => baileysEngineLayer().pipe(Layer.provide(Layer.succeedContext(world)), Layer.merge(Layer.succeedContext(world)))
        const first = yield* Scope.make()
        const paired = yield* Effect.provide(pairedSession, yield* Layer.buildWithScope(start(), first))
        yield* Scope.close(first, Exit.void)
        const sockets = Effect.runSync(Effect.provide(FakeSockets, world))
        expect(sockets.current(paired.sessionId)).toBeUndefined()
        expect(sockets.logouts()).toEqual([])

        const second = yield* Layer.build(start())
        yield* Effect.provide(Effect.gen(function* () {
          yield* (yield* engine).resume(paired.sessionId)
          expectTag(yield* nextEvent, "Connected")
        }), second)
      }).pipe(Effect.scoped))

    it.effect("a creds change still being written when the runtime stops is written before its socket is ended", () =>
      onEngine(Effect.gen(function* () {
        const { sessionId } = yield* pairedSession
        // Baileys learns its edge routing and updates the creds; the store is slow to take it, and the runtime is stopped meanwhile.
        const socket = (yield* fake).current(sessionId)
        socket?.credsChanged({ routingInfo: Buffer.from("edge-routing") })
        yield* Effect.yieldNow()
        yield* (yield* engine).stop(sessionId)
        expect(Option.map(yield* storedCreds(sessionId), (c) => c.routingInfo?.toString())).toEqual(Option.some("edge-routing"))
      }), {
        // The first write of creds with routing info waits a minute (on TestClock: until the test moves it, which it does not).
        store: (real) =>
          Effect.map(Ref.make(true), (first) => ({
            ...real,
            writeCreds: (id, text) =>
              Effect.flatMap(Ref.get(first), (slow) =>
                slow && text.includes("routingInfo\":{")
                  ? Effect.zipRight(Ref.set(first, false), Effect.zipRight(Effect.sleep("1 minute"), real.writeCreds(id, text)))
                  : real.writeCreds(id, text))
          }))
      }))

    it.effect("resuming a paired session whose creds are gone reports it logged out by the device", () =>
      onEngine(Effect.gen(function* () {
        const sessionId = yield* newSession
        yield* (yield* engine).resume(sessionId)
        expectTag(yield* nextEvent, "LoggedOutByDevice")
        expect(yield* socketCount(sessionId)).toBe(0)
      })))

    it.effect("purge ends the socket and erases the auth state, reporting nothing", () =>
      onEngine(Effect.gen(function* () {
        const { sessionId } = yield* pairedSession
        yield* (yield* engine).purge(sessionId)
        expect(yield* readCreds(sessionId)).toEqual(Option.none())
        expect((yield* fake).current(sessionId)).toBeUndefined()
        yield* nothingReportedWithin("1 minute")
      })))

    it.effect("a socket whose session was deleted under it stops at its next write, which is refused: nothing stored, no reconnect", () =>
      onEngine(Effect.gen(function* () {
        const { orgId, sessionId } = yield* newSessionOf
        yield* (yield* engine).startPairing(sessionId, { _tag: "Qr", attemptId })
        yield* nextEvent
        // The erasure happens while the socket still runs (a delete racing it); then the phone scans.
        yield* Effect.flatMap(EventStore, (store) => store.append(appendRequest(sessionId, orgId, [created(sessionId, orgId)], [new SessionDeleted()])))
        yield* Effect.fork((yield* SimulatedPhone).scan(sessionId, { phoneNumber: phone }))
        yield* nothingReportedWithin("10 minutes")
        expect(yield* readCreds(sessionId)).toEqual(Option.none())
        expect((yield* fake).current(sessionId)).toBeUndefined()
        expect(yield* socketCount(sessionId)).toBe(1)
      })))
  })

  it.effect("at most one socket per session however its operations interleave", () =>
    onEngine(Effect.gen(function* () {
      const sessionId = yield* newSession
      const e = yield* engine
      yield* Effect.all([
        e.startPairing(sessionId, { _tag: "Qr", attemptId }),
        e.startPairing(sessionId, { _tag: "Code", attemptId, phone }),
        e.stop(sessionId),
        e.startPairing(sessionId, { _tag: "Qr", attemptId }),
        e.resume(sessionId),
        e.purge(sessionId),
        e.startPairing(sessionId, { _tag: "Qr", attemptId })
      ], { concurrency: "unbounded", mode: "either" })
      expect((yield* fake).maxAlivePerSession()).toBe(1)
      expect((yield* fake).sockets(sessionId).filter((s) => !s.closed).length).toBeLessThanOrEqual(1)
    })))
})

describe("boot resume on the Baileys engine", () => {
  it.effect("resumes 50 paired sessions, never more than WA_RESUME_CONCURRENCY connecting at once", () => {
    const org = OrgId.make("acme")
    const count = 50
    const concurrency = 8
    const seeded: Array<SessionId> = []
    const seed = Effect.gen(function* () {
      const sessions = yield* SessionService
      const auth = yield* AuthStateStore
      const sockets = yield* FakeSockets
      for (let i = 0; i < count; i++) {
        const { sessionId } = yield* sessions.create(org, `line ${i}`)
        const attempt = yield* makePairingAttemptId
        const jid = `62812000${String(i).padStart(4, "0")}:2@s.whatsapp.net`
        const lid = `${200_000_000_000_000 + i}:2@lid`
        yield* sessions.execute(org, new StartQrPairing({ sessionId, attemptId: attempt }))
        yield* sessions.execute(org, new CompletePairing({
          sessionId,
          attemptId: attempt,
          identity: new WaIdentity({ phoneNumber: PhoneNumber.make(jid.split(":")[0] ?? ""), waJid: jid, waLid: lid, pushName: null })
        }))
        // Paired earlier: creds naming the device, which WhatsApp knows.
        yield* auth.writeCreds(sessionId, encodeCreds({ ...initAuthCreds(), me: { id: jid, lid } }))
        sockets.linkDevice(sessionId, jid, lid)
        seeded.push(sessionId)
      }
    })
    const base = baileysEngineLayer().pipe(
      Layer.provideMerge(Layer.merge(fakeSockets({ loginDelay: "1 second" }), Layer.provideMerge(SessionService.Live, MemoryStores)))
    )
    const layer = SessionSupervisor.layer({ resumeConcurrency: concurrency }).pipe(
      Layer.provideMerge(Layer.provideMerge(Layer.effectDiscard(Effect.orDie(seed)), base))
    )
    return Effect.gen(function* () {
      const supervisor = yield* SessionSupervisor
      let rounds = 0
      while (!(yield* supervisor.resumeProgress).done && rounds < 100) {
        yield* TestClock.adjust("1 second")
        rounds++
      }
      const progress = yield* supervisor.resumeProgress
      expect(progress).toMatchObject({ total: count, pending: 0, done: true, durationMs: expect.any(Number) })
      const e = yield* SessionEngine
      const connected = yield* Effect.forEach(seeded, (id) => e.isConnected(id))
      expect(connected.filter(Boolean)).toHaveLength(count)
      const sockets = yield* FakeSockets
      // The bound is reached and never exceeded: 8 handshakes at a time, in ⌈50 / 8⌉ = 7 rounds of the 1 s login.
      expect(sockets.maxConnecting()).toBe(concurrency)
      expect(rounds).toBe(Math.ceil(count / concurrency))
    }).pipe(Effect.provide(layer))
  })
})

