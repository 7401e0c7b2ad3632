import { describe, expect, it } from "@effect/vitest"
import { type Context, Duration, Effect, Fiber, Layer, Option, TestClock } from "effect"
import { EngineUnavailable, OrgId, SessionEngine, type SessionId, SessionService } from "@wa-gateway/domain"
import { SessionSupervisor } from "../engine/session-supervisor.js"
import { simulatorEngineLayer } from "../engine/simulator/simulator-engine.js"
import { EventFeed } from "../webhooks/event-feed.js"
import { Gateway } from "./gateway.js"
import { gatewayStores, productionGatewayLayer, simulatorGatewayLayer } from "./layer.js"
import { DELETE_UNLINK_TIMEOUT, GatewayLive } from "./operations.js"
import { SimulatedPhoneGateway } from "./simulated-phone-gateway.js"

const acme = OrgId.make("acme")
const other = OrgId.make("other")
const phone = "628123456789"

const onSimulator = <A, E>(effect: Effect.Effect<A, E, Gateway | SimulatedPhoneGateway>) =>
  Effect.provide(effect, simulatorGatewayLayer({ store: { _tag: "memory" }, simulator: { seed: 1 } }))

/** The production gateway with WhatsApp unreachable: a port nothing listens on (no test reaches the real WhatsApp). */
const onUnreachableWhatsApp = <A, E>(effect: Effect.Effect<A, E, Gateway>) =>
  Effect.provide(effect, productionGatewayLayer({
    store: { _tag: "memory" },
    whatsapp: { serverUrl: Option.some("ws://127.0.0.1:1"), certRoot: Option.none(), verifyServerCert: true }
  }))

/** The simulator with some operations replaced. */
const onAlteredSimulator = (alter: (real: Context.Tag.Service<SessionEngine>) => Partial<Context.Tag.Service<SessionEngine>>) =>
<A, E>(effect: Effect.Effect<A, E, Gateway | SimulatedPhoneGateway>) => {
  const engine = Layer.effect(SessionEngine, Effect.map(SessionEngine, (real) => ({ ...real, ...alter(real) }))).pipe(
    Layer.provideMerge(simulatorEngineLayer({ seed: 1 }))
  )
  const domain = Layer.provideMerge(SessionService.Live, gatewayStores({ _tag: "memory" }))
  const supervised = Layer.provideMerge(EventFeed.layer(), Layer.provideMerge(SessionSupervisor.Live, Layer.merge(domain, engine)))
  return Effect.provide(effect, Layer.provideMerge(Layer.merge(GatewayLive, SimulatedPhoneGateway.Live), supervised))
}

/** Unlinking on WhatsApp fails (network down). */
const onEngineThatCannotLogOut = onAlteredSimulator(() => ({
  logout: () => Effect.fail(new EngineUnavailable({ message: "network down" }))
}))

/** Starting a pairing takes a moment, as on a real socket, so concurrent callers interleave. */
const onSlowPairingEngine = onAlteredSimulator((real) => ({
  startPairing: (sessionId, request) => Effect.zipRight(Effect.yieldNow(), real.startPairing(sessionId, request))
}))

const eventsOf = (sessionId: SessionId) =>
  Effect.flatMap(Gateway, (g) =>
    Effect.map(g.events(acme, sessionId), (events) => events.map(({ event, version }) => ({ version, ...event }))))

const created = Effect.flatMap(Gateway, (g) => g.create(acme, { name: "support line" }))

const paired = Effect.gen(function* () {
  const { sessionId } = yield* created
  yield* (yield* Gateway).qr(acme, sessionId)
  yield* (yield* SimulatedPhoneGateway).scan(acme, sessionId, { phoneNumber: phone, pushName: "Acme Support" })
  return sessionId
})

describe("Gateway", () => {
  it.effect("walks a session through its whole life and records exactly those events", () =>
    onSimulator(Effect.gen(function* () {
      const gateway = yield* Gateway
      const phoneSim = yield* SimulatedPhoneGateway

      const session = yield* gateway.create(acme, { name: "support line" })
      expect(session).toMatchObject({ status: "unpaired", connected: false, identity: null, version: 1 })
      const { sessionId } = session

      const qr = yield* gateway.qr(acme, sessionId)
      expect(qr.qr).toMatch(/^2@/)
      expect(yield* gateway.qr(acme, sessionId)).toEqual(qr)
      expect((yield* gateway.get(acme, sessionId)).status).toBe("pairing")

      const afterScan = yield* phoneSim.scan(acme, sessionId, { phoneNumber: phone, pushName: "Acme Support" })
      expect(afterScan).toMatchObject({ status: "paired", connected: true, identity: { phoneNumber: phone, pushName: "Acme Support" } })

      const me = yield* gateway.me(acme, sessionId)
      expect(me.identity.waJid).toMatch(/^628123456789:\d+@s\.whatsapp\.net$/)
      expect(me.identity.waLid).toMatch(/^\d+:\d+@lid$/)

      const loggedOut = yield* gateway.logout(acme, sessionId)
      expect(loggedOut).toMatchObject({ status: "logged_out", connected: false, identity: null })

      const code = yield* gateway.requestPairingCode(acme, sessionId, phone)
      expect(code.code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/)
      const afterCode = yield* phoneSim.enterCode(acme, sessionId, { code: code.code })
      expect(afterCode).toMatchObject({ status: "paired", connected: true, identity: { phoneNumber: phone } })

      expect(yield* eventsOf(sessionId)).toMatchObject([
        { version: 1, _tag: "SessionCreated", sessionId, orgId: acme, name: "support line" },
        { version: 2, _tag: "PairingStarted", method: "qr" },
        { version: 3, _tag: "SessionPaired", phoneNumber: phone, pushName: "Acme Support" },
        { version: 4, _tag: "LoggedOut", by: "user" },
        { version: 5, _tag: "PairingStarted", method: "code", phone },
        { version: 6, _tag: "SessionPaired", phoneNumber: phone, pushName: null }
      ])

      yield* gateway.delete(acme, sessionId)
      for (const after of [gateway.get(acme, sessionId), gateway.me(acme, sessionId), gateway.events(acme, sessionId), gateway.delete(acme, sessionId)]) {
        expect(yield* Effect.flip(after)).toMatchObject({ _tag: "SessionNotFound" })
      }
    })))

  it.effect("refuses to pair a paired session, by QR or by code", () =>
    onSimulator(Effect.gen(function* () {
      const gateway = yield* Gateway
      const sessionId = yield* paired
      expect(yield* Effect.flip(gateway.qr(acme, sessionId))).toMatchObject({ _tag: "AlreadyPaired" })
      expect(yield* Effect.flip(gateway.requestPairingCode(acme, sessionId, phone))).toMatchObject({ _tag: "AlreadyPaired" })
    })))

  it.effect("refuses phones that are not 8–15 digits without a plus, and records nothing", () =>
    onSimulator(Effect.gen(function* () {
      const gateway = yield* Gateway
      const { sessionId } = yield* created
      for (const bad of ["+628123456789", "62812345678x", "1234567", "1234567890123456", ""]) {
        expect(yield* Effect.flip(gateway.requestPairingCode(acme, sessionId, bad))).toMatchObject({ _tag: "InvalidPhone" })
      }
      expect((yield* eventsOf(sessionId)).map((e) => e._tag)).toEqual(["SessionCreated"])
    })))

  it.effect("logout of a session that is not paired is NotPaired; /me of it is SessionNotFound", () =>
    onSimulator(Effect.gen(function* () {
      const gateway = yield* Gateway
      const { sessionId } = yield* created
      expect(yield* Effect.flip(gateway.logout(acme, sessionId))).toMatchObject({ _tag: "NotPaired" })
      expect(yield* Effect.flip(gateway.me(acme, sessionId))).toMatchObject({ _tag: "SessionNotFound" })
    })))

  it.effect("another org's session is SessionNotFound for every operation", () =>
    onSimulator(Effect.gen(function* () {
      const gateway = yield* Gateway
      const phoneSim = yield* SimulatedPhoneGateway
      const sessionId = yield* paired
      const attempts: ReadonlyArray<Effect.Effect<unknown, { readonly _tag: string }>> = [
        gateway.get(other, sessionId),
        gateway.qr(other, sessionId),
        gateway.requestPairingCode(other, sessionId, phone),
        gateway.logout(other, sessionId),
        gateway.me(other, sessionId),
        gateway.events(other, sessionId),
        gateway.delete(other, sessionId),
        phoneSim.unlink(other, sessionId),
        phoneSim.dropConnection(other, sessionId)
      ]
      for (const attempt of attempts) {
        expect(yield* Effect.flip(attempt)).toMatchObject({ _tag: "SessionNotFound" })
      }
      expect((yield* gateway.get(acme, sessionId)).status).toBe("paired")
      expect((yield* gateway.list(other, { pageSize: 10, after: null })).sessions).toEqual([])
    })))

  it.effect("asking for a QR while pairing by code switches to QR pairing", () =>
    onSimulator(Effect.gen(function* () {
      const gateway = yield* Gateway
      const { sessionId } = yield* created
      yield* gateway.requestPairingCode(acme, sessionId, phone)
      const qr = yield* gateway.qr(acme, sessionId)
      expect(qr.qr).toMatch(/^2@/)
      expect((yield* eventsOf(sessionId)).map((e) => e._tag === "PairingStarted" ? e.method : e._tag)).toEqual([
        "SessionCreated",
        "code",
        "qr"
      ])
    })))

  it.effect("an unscanned QR expires: the session is unpaired again and a new QR starts a new pairing", () =>
    onSimulator(Effect.gen(function* () {
      const gateway = yield* Gateway
      const { sessionId } = yield* created
      const first = yield* gateway.qr(acme, sessionId)
      yield* TestClock.adjust("20 seconds")
      // The engine rotated the QR; the gateway shows the current one.
      const rotated = yield* gateway.qr(acme, sessionId)
      expect(rotated.qr).not.toBe(first.qr)
      yield* TestClock.adjust("40 seconds")
      const status = yield* Effect.repeat(
        Effect.map(gateway.get(acme, sessionId), (s) => s.status),
        { until: (s) => s === "unpaired", times: 1000 }
      )
      expect(status).toBe("unpaired")
      yield* gateway.qr(acme, sessionId)
      expect((yield* eventsOf(sessionId)).map((e) => e._tag)).toEqual([
        "SessionCreated",
        "PairingStarted",
        "PairingFailed",
        "PairingStarted"
      ])
    })))

  it.effect("a dropped connection shows connected: false at once, and true after the reconnect", () =>
    onSimulator(Effect.gen(function* () {
      const gateway = yield* Gateway
      const sessionId = yield* paired
      const dropped = yield* (yield* SimulatedPhoneGateway).dropConnection(acme, sessionId, { reconnectAfterMs: 5000 })
      expect(dropped).toMatchObject({ status: "paired", connected: false })
      yield* TestClock.adjust("5 seconds")
      const connected = yield* Effect.repeat(
        Effect.map(gateway.get(acme, sessionId), (s) => s.connected),
        { until: Boolean, times: 1000 }
      )
      expect(connected).toBe(true)
      const [listed] = (yield* gateway.list(acme, { pageSize: 10, after: null })).sessions
      expect(listed).toMatchObject({ sessionId, connected: true })
    })))

  it.effect("unlinking on the phone logs the session out by the device", () =>
    onSimulator(Effect.gen(function* () {
      const sessionId = yield* paired
      const unlinked = yield* (yield* SimulatedPhoneGateway).unlink(acme, sessionId)
      expect(unlinked).toMatchObject({ status: "logged_out", connected: false, identity: null })
      expect((yield* eventsOf(sessionId)).at(-1)).toMatchObject({ _tag: "LoggedOut", by: "device" })
    })))

  it.effect("the phone's mistakes are typed: no QR showing, wrong code, nothing linked", () =>
    onSimulator(Effect.gen(function* () {
      const gateway = yield* Gateway
      const phoneSim = yield* SimulatedPhoneGateway
      const { sessionId } = yield* created
      expect(yield* Effect.flip(phoneSim.scan(acme, sessionId, { phoneNumber: phone }))).toMatchObject({ reason: "no_qr_showing" })
      expect(yield* Effect.flip(phoneSim.scan(acme, sessionId, { phoneNumber: "+1" }))).toMatchObject({ _tag: "InvalidPhone" })
      const { code } = yield* gateway.requestPairingCode(acme, sessionId, phone)
      const wrong = code === "AAAA-AAAA" ? "BBBB-BBBB" : "AAAA-AAAA"
      expect(yield* Effect.flip(phoneSim.enterCode(acme, sessionId, { code: wrong }))).toMatchObject({ reason: "wrong_code" })
      expect(yield* Effect.flip(phoneSim.unlink(acme, sessionId))).toMatchObject({ reason: "not_linked" })
      expect((yield* gateway.get(acme, sessionId)).status).toBe("pairing")
    })))

  it.effect("on Baileys with WhatsApp unreachable, pairing fails as unavailable and the stream says it failed", () =>
    onUnreachableWhatsApp(Effect.gen(function* () {
      const gateway = yield* Gateway
      const { sessionId } = yield* created
      expect(yield* Effect.flip(gateway.qr(acme, sessionId))).toMatchObject({ _tag: "EngineUnavailable", message: expect.stringContaining("could not be reached") })
      expect(yield* Effect.flip(gateway.requestPairingCode(acme, sessionId, phone))).toMatchObject({ _tag: "EngineUnavailable" })
      expect((yield* eventsOf(sessionId)).map((e) => e._tag === "PairingFailed" ? e.reason : e._tag)).toEqual([
        "SessionCreated",
        "PairingStarted",
        "engine_error",
        "PairingStarted",
        "engine_error"
      ])
      expect((yield* gateway.get(acme, sessionId)).status).toBe("unpaired")
      yield* gateway.delete(acme, sessionId)
      expect(yield* Effect.flip(gateway.get(acme, sessionId))).toMatchObject({ _tag: "SessionNotFound" })
    })))

  it.effect("lists the org's sessions newest first, page by page", () =>
    onSimulator(Effect.gen(function* () {
      const gateway = yield* Gateway
      const ids: Array<SessionId> = []
      for (let i = 0; i < 3; i++) {
        ids.push((yield* gateway.create(acme, { name: `s${i}` })).sessionId)
        yield* TestClock.adjust("1 millis")
      }
      const first = yield* gateway.list(acme, { pageSize: 2, after: null })
      expect(first.sessions.map((s) => s.sessionId)).toEqual([ids[2], ids[1]])
      expect(first.hasMore).toBe(true)
      const last = first.sessions.at(-1)
      if (last === undefined) return expect.fail("expected a first page")
      const second = yield* gateway.list(acme, { pageSize: 2, after: { createdAt: last.createdAt, sessionId: last.sessionId } })
      expect(second.sessions.map((s) => s.sessionId)).toEqual([ids[0]])
      expect(second.hasMore).toBe(false)
    })))

  it.effect("a logout the engine cannot carry out leaves the session paired, and says why", () =>
    onEngineThatCannotLogOut(Effect.gen(function* () {
      const gateway = yield* Gateway
      const sessionId = yield* paired
      expect(yield* Effect.flip(gateway.logout(acme, sessionId))).toMatchObject({ _tag: "EngineUnavailable" })
      expect(yield* gateway.get(acme, sessionId)).toMatchObject({ status: "paired", connected: true })
      expect((yield* eventsOf(sessionId)).map((e) => e._tag)).toEqual(["SessionCreated", "PairingStarted", "SessionPaired"])
    })))

  it.effect("a delete unlinks a paired session's device before it erases the session; an unpaired session's engine is not asked to", () => {
    const unlinked: Array<SessionId> = []
    return onAlteredSimulator((real) => ({
      logout: (sessionId) => Effect.zipRight(Effect.sync(() => unlinked.push(sessionId)), real.logout(sessionId))
    }))(Effect.gen(function* () {
      const gateway = yield* Gateway
      const sessionId = yield* paired
      const unpaired = (yield* created).sessionId
      yield* gateway.delete(acme, sessionId)
      yield* gateway.delete(acme, unpaired)
      expect(unlinked).toEqual([sessionId])
      for (const gone of [sessionId, unpaired]) expect(yield* Effect.flip(gateway.get(acme, gone))).toMatchObject({ _tag: "SessionNotFound" })
    }))
  })

  it.effect("a delete whose unlinking fails deletes the session all the same", () =>
    onEngineThatCannotLogOut(Effect.gen(function* () {
      const gateway = yield* Gateway
      const sessionId = yield* paired
      yield* gateway.delete(acme, sessionId)
      expect(yield* Effect.flip(gateway.get(acme, sessionId))).toMatchObject({ _tag: "SessionNotFound" })
    })))

  it.effect("a delete whose unlinking never answers deletes the session once its bound has passed", () =>
    onAlteredSimulator(() => ({ logout: () => Effect.never }))(Effect.gen(function* () {
      const gateway = yield* Gateway
      const sessionId = yield* paired
      const deleting = yield* Effect.fork(gateway.delete(acme, sessionId))
      yield* TestClock.adjust(Duration.toMillis(DELETE_UNLINK_TIMEOUT) - 1)
      expect(yield* gateway.get(acme, sessionId)).toMatchObject({ status: "paired" })
      yield* TestClock.adjust(1)
      yield* Fiber.join(deleting)
      expect(yield* Effect.flip(gateway.get(acme, sessionId))).toMatchObject({ _tag: "SessionNotFound" })
    })))

  it.effect("concurrent QR requests for one session start one pairing and show the same QR", () =>
    onSlowPairingEngine(Effect.gen(function* () {
      const gateway = yield* Gateway
      const { sessionId } = yield* created
      const qrs = yield* Effect.all(Array.from({ length: 8 }, () => gateway.qr(acme, sessionId)), { concurrency: "unbounded" })
      expect(new Set(qrs.map((q) => q.qr)).size).toBe(1)
      expect((yield* eventsOf(sessionId)).map((e) => e._tag)).toEqual(["SessionCreated", "PairingStarted"])
    })))
})
