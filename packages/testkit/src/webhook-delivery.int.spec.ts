import { afterEach, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Option, Schema, TestClock, TestServices } from "effect"
import {
  type DispatcherOptions,
  Gateway,
  SimulatedPhoneGateway,
  simulatorGatewayLayer,
  WebhookStore,
  type WebhookUrl,
  WebhookUrl as WebhookUrlSchema
} from "@wa-gateway/adapters"
import { OrgId } from "@wa-gateway/domain"
import { Webhook } from "standardwebhooks"
import { givenPairedSession } from "./test-gateway.js"
import { type WebhookReceiver, webhookReceiver } from "./webhook-receiver.js"

const acme = OrgId.make("acme")
const globex = OrgId.make("globex")

const gatewayWith = (webhooks: DispatcherOptions) =>
  simulatorGatewayLayer({ store: { _tag: "memory" }, simulator: { seed: 7 }, webhooks })

/**
 * Under TestClock: the clock is set to real time first (standardwebhooks checks
 * the timestamp against it), then the gateway starts, with a slow poll so long
 * that only due times and signals wake its loops.
 */
const onTestClock = (webhooks: DispatcherOptions) => <A, E>(body: Effect.Effect<A, E, Gateway>) =>
  Effect.zipRight(TestClock.setTime(Date.now()), Effect.provide(body, gatewayWith({ pollInterval: "1 hour", ...webhooks })))

const urlOf = (receiver: WebhookReceiver): WebhookUrl => Schema.decodeSync(WebhookUrlSchema)(receiver.url)

const receivers: Array<WebhookReceiver> = []
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()))
})
const receiver = (options: Parameters<typeof webhookReceiver>[0] = {}) =>
  Effect.promise(async () => {
    const r = await webhookReceiver(options)
    receivers.push(r)
    return r
  })

/** Real waiting (the receiver is real I/O) even under TestClock. */
const until = (receiver: WebhookReceiver, check: (n: number) => boolean, timeoutMs = 10_000) =>
  Effect.promise(() => receiver.waitFor((d) => check(d.length), timeoutMs))
const settle = TestServices.provideLive(Effect.sleep("150 millis"))

const typesOf = (receiver: WebhookReceiver) => receiver.deliveries().map((d) => (d.payload as { type: string }).type)

describe("webhook delivery", () => {
  it.effect("a receiver failing three times gets the same webhook-id on the schedule, then the delivery succeeds", () =>
    Effect.gen(function* () {
      const hook = yield* receiver({ failFirst: 3 })
      const gateway = yield* Gateway
      const { webhook, secret } = yield* gateway.webhooks.create(acme, { url: urlOf(hook), events: ["session.created"] })
      hook.setSecret(secret)
      yield* gateway.create(acme, { name: "desk" })

      yield* until(hook, (n) => n === 1)
      // The default schedule: 5 s, 5 min, 30 min (±10 %).
      for (const [attempt, delay] of [[2, 5_000], [3, 300_000], [4, 1_800_000]] as const) {
        yield* TestClock.adjust(Duration.millis(delay * 0.85))
        yield* settle
        expect(hook.deliveries().length, `attempt ${attempt} is not due yet`).toBe(attempt - 1)
        yield* TestClock.adjust(Duration.millis(delay * 0.3))
        yield* until(hook, (n) => n === attempt)
      }
      const attempts = hook.deliveries()
      expect(new Set(attempts.map((d) => d.messageId)).size).toBe(1)
      expect(attempts.map((d) => d.status)).toEqual([500, 500, 500, 204])
      const gaps = attempts.slice(1).map((d, i) => d.timestamp - (attempts[i]?.timestamp ?? 0))
      expect(gaps[0]).toBeGreaterThanOrEqual(4)
      expect(gaps[0]).toBeLessThanOrEqual(6)
      expect(gaps[1]).toBeGreaterThanOrEqual(270)
      expect(gaps[1]).toBeLessThanOrEqual(330)
      expect(gaps[2]).toBeGreaterThanOrEqual(1_620)
      expect(gaps[2]).toBeLessThanOrEqual(1_980)
      expect(attempts[0]?.verified).toBe(true)

      yield* settle
      const page = yield* gateway.webhooks.deliveries(acme, webhook.webhookId, { status: null, pageSize: 10, afterSequence: null })
      expect(page.deliveries.map((d) => [d.eventType, d.status, d.attempts, d.lastStatusCode, d.nextAttemptAt])).toEqual([
        ["session.created", "succeeded", 4, 204, null]
      ])
    }).pipe(onTestClock({})))

  it.effect("the schedule runs out: the delivery fails, stays visible and is delivered again by a replay with the same webhook-id", () =>
    Effect.gen(function* () {
      const hook = yield* receiver({ failFirst: 3 })
      const gateway = yield* Gateway
      const { webhook } = yield* gateway.webhooks.create(acme, { url: urlOf(hook), events: ["session.created"] })
      yield* gateway.create(acme, { name: "desk" })
      yield* until(hook, (n) => n === 1)
      for (let attempt = 2; attempt <= 3; attempt++) {
        // Past the 1 s retry's jitter (±10 %), short of two retries.
        yield* TestClock.adjust("1150 millis")
        yield* until(hook, (n) => n === attempt)
      }
      yield* settle
      const failed = yield* gateway.webhooks.deliveries(acme, webhook.webhookId, { status: "failed", pageSize: 10, afterSequence: null })
      expect(failed.deliveries.map((d) => [d.status, d.attempts, d.lastStatusCode, d.lastError])).toEqual([["failed", 3, 500, "HTTP 500"]])

      const position = failed.deliveries[0]?.position ?? 0n
      yield* gateway.webhooks.replay(acme, webhook.webhookId, position ?? 0n)
      yield* until(hook, (n) => n === 4)
      const all = hook.deliveries()
      expect(all[3]?.status).toBe(204)
      expect(all[3]?.messageId).toBe(all[0]?.messageId)
      expect(all[3]?.body).toBe(all[0]?.body)
    }).pipe(onTestClock({ retrySchedule: [Duration.seconds(1), Duration.seconds(1)] })))

  it.live("410 Gone disables the subscription and fails that delivery; nothing more is sent until it is enabled again", () =>
    Effect.gen(function* () {
      const hook = yield* receiver({ gone: true })
      const gateway = yield* Gateway
      const { webhook } = yield* gateway.webhooks.create(acme, { url: urlOf(hook), events: ["session.created"] })
      yield* gateway.create(acme, { name: "one" })
      yield* until(hook, (n) => n === 1)
      yield* Effect.sleep("200 millis")
      expect((yield* gateway.webhooks.get(acme, webhook.webhookId)).enabled).toBe(false)
      const failed = yield* gateway.webhooks.deliveries(acme, webhook.webhookId, { status: "failed", pageSize: 10, afterSequence: null })
      expect(failed.deliveries.map((d) => [d.attempts, d.lastStatusCode])).toEqual([[1, 410]])

      yield* gateway.create(acme, { name: "while disabled" })
      yield* Effect.sleep("300 millis")
      expect(hook.deliveries().length).toBe(1)
      hook.answerGone(false)
      yield* gateway.webhooks.update(acme, webhook.webhookId, { enabled: true })
      yield* gateway.create(acme, { name: "enabled again" })
      yield* until(hook, (n) => n === 2)
      expect((hook.deliveries()[1]?.payload as { data: { name: string } }).data.name).toBe("enabled again")
    }).pipe(Effect.provide(gatewayWith({ retrySchedule: [Duration.millis(50)] }))))

  it.live("signatures verify with standardwebhooks; a tampered body or a wrong secret does not", () =>
    Effect.gen(function* () {
      const hook = yield* receiver()
      const gateway = yield* Gateway
      const { secret } = yield* gateway.webhooks.create(acme, { url: urlOf(hook) })
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
      expect(Buffer.from(secret.slice(6), "base64").length).toBe(32)
      yield* gateway.create(acme, { name: "signed" })
      const [delivery] = yield* until(hook, (n) => n === 1)
      if (delivery === undefined) return yield* Effect.dieMessage("no delivery")
      expect(new Webhook(secret).verify(delivery.body, delivery.headers)).toEqual(delivery.payload)
      expect(() => new Webhook(secret).verify(delivery.body.replace("signed", "forged"), delivery.headers)).toThrow()
      const other = (yield* gateway.webhooks.create(acme, { url: urlOf(hook), events: ["session.paired"] })).secret
      expect(() => new Webhook(other).verify(delivery.body, delivery.headers)).toThrow()
      expect(delivery.headers["content-type"]).toBe("application/json")
      expect(delivery.headers["user-agent"]).toMatch(/^wa-gateway\/\d+\.\d+\.\d+/)
      expect(delivery.payload).toEqual({
        type: "session.created",
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        data: { sessionId: expect.stringMatching(/^sess_/), orgId: "acme", status: "unpaired", connected: false, version: 1, name: "signed" }
      })
    }).pipe(Effect.provide(gatewayWith({}))))

  it.effect("after a rotation both secrets sign until the 24 h overlap ends, then only the new one", () =>
    Effect.gen(function* () {
      const hook = yield* receiver()
      const gateway = yield* Gateway
      const { secret: old, webhook } = yield* gateway.webhooks.create(acme, { url: urlOf(hook), events: ["session.created"] })
      const { secret: rotated } = yield* gateway.webhooks.rotateSecret(acme, webhook.webhookId)
      expect(rotated).not.toBe(old)
      yield* gateway.create(acme, { name: "during the overlap" })
      const [during] = yield* until(hook, (n) => n === 1)
      if (during === undefined) return yield* Effect.dieMessage("no delivery")
      expect(during.signature.split(" ")).toHaveLength(2)
      expect(new Webhook(old).verify(during.body, during.headers)).toBeDefined()
      expect(new Webhook(rotated).verify(during.body, during.headers)).toBeDefined()

      yield* TestClock.adjust("24 hours")
      yield* TestClock.adjust("1 second")
      yield* gateway.create(acme, { name: "after the overlap" })
      const after = (yield* until(hook, (n) => n === 2))[1]
      if (after === undefined) return yield* Effect.dieMessage("no delivery")
      // The clock is a day ahead, so standardwebhooks' own timestamp check would refuse; compare the signatures instead.
      const at = new Date(after.timestamp * 1000)
      expect(after.signature).toBe(new Webhook(rotated).sign(after.messageId, at, after.body))
      expect(after.signature).not.toContain(new Webhook(old).sign(after.messageId, at, after.body).slice(3))
    }).pipe(onTestClock({})))

  it.live("delivers one session's events in log order, and never another org's", () =>
    Effect.gen(function* () {
      const hook = yield* receiver()
      const foreign = yield* receiver()
      const gateway = yield* Gateway
      yield* gateway.webhooks.create(acme, { url: urlOf(hook) })
      yield* gateway.webhooks.create(globex, { url: urlOf(foreign) })
      const sessions = yield* Effect.forEach([1, 2, 3], () => givenPairedSession(acme), { concurrency: 3 })
      yield* Effect.forEach(sessions, (s) => gateway.logout(acme, s.sessionId), { concurrency: 3 })
      // Per session: created, pairing_started, paired, connected, disconnected (logout), logged_out.
      yield* until(hook, (n) => n >= 18)
      const byType = typesOf(hook)
      expect(byType.filter((t) => t === "session.paired")).toHaveLength(3)
      for (const session of sessions) {
        const versions = hook.deliveries()
          .map((d) => d.payload as { data: { sessionId: string; version?: number } })
          .filter((p) => p.data.sessionId === session.sessionId && p.data.version !== undefined)
          .map((p) => p.data.version)
        expect(versions).toEqual([1, 2, 3, 4])
      }
      expect(foreign.deliveries()).toEqual([])
    }).pipe(Effect.provide(gatewayWith({}))))

  it.live("records connection changes durably, delivers them with cause and willReconnect, and bumps no version", () =>
    Effect.gen(function* () {
      const hook = yield* receiver()
      const gateway = yield* Gateway
      const phone = yield* SimulatedPhoneGateway
      const session = yield* givenPairedSession(acme)
      yield* gateway.webhooks.create(acme, { url: urlOf(hook), events: ["session.connected", "session.disconnected"] })
      yield* phone.dropConnection(acme, session.sessionId, { reconnectAfterMs: 50 })
      yield* until(hook, (n) => n === 2)
      expect(hook.deliveries().map((d) => d.payload)).toEqual([
        {
          type: "session.disconnected",
          timestamp: expect.any(String),
          data: { sessionId: session.sessionId, orgId: "acme", status: "paired", connected: false, cause: "connection_lost", willReconnect: true }
        },
        {
          type: "session.connected",
          timestamp: expect.any(String),
          data: { sessionId: session.sessionId, orgId: "acme", status: "paired", connected: true }
        }
      ])
      expect((yield* gateway.get(acme, session.sessionId)).version).toBe(session.version)
    }).pipe(Effect.provide(gatewayWith({}))))

  it.live("sends session.qr live, only to a subscription that asked for it", () =>
    Effect.gen(function* () {
      const withQr = yield* receiver()
      const without = yield* receiver()
      const gateway = yield* Gateway
      yield* gateway.webhooks.create(acme, { url: urlOf(withQr), events: ["session.qr"] })
      yield* gateway.webhooks.create(acme, { url: urlOf(without) })
      const session = yield* gateway.create(acme, { name: "pairing" })
      const { qr } = yield* gateway.qr(acme, session.sessionId)
      const [delivery] = yield* until(withQr, (n) => n === 1)
      expect(delivery?.payload).toMatchObject({ type: "session.qr", data: { sessionId: session.sessionId, qr, status: "pairing" } })
      yield* until(without, (n) => n === 2)
      expect(typesOf(without)).toEqual(["session.created", "session.pairing_started"])
      // Live only: nothing of it is in the outbox.
      const store = yield* WebhookStore
      const targets = yield* store.routingTargets
      for (const target of targets) {
        const page = yield* store.deliveries({ orgId: acme, webhookId: target.webhookId, status: null, pageSize: 100, afterSequence: null })
        expect(Option.getOrThrow(page).deliveries.map((d) => d.eventType)).not.toContain("session.qr")
      }
    }).pipe(Effect.provide(gatewayWith({}))))

  it.live("a test message reaches a subscription whatever its filter", () =>
    Effect.gen(function* () {
      const hook = yield* receiver()
      const gateway = yield* Gateway
      const { webhook } = yield* gateway.webhooks.create(acme, { url: urlOf(hook), events: ["session.deleted"] })
      yield* gateway.webhooks.test(acme, webhook.webhookId)
      const [delivery] = yield* until(hook, (n) => n === 1)
      expect(delivery?.payload).toEqual({ type: "webhook.test", timestamp: expect.any(String), data: { webhookId: webhook.webhookId, orgId: "acme" } })
    }).pipe(Effect.provide(gatewayWith({}))))

  it.live("refuses to deliver to a private address when private networks are blocked", () =>
    Effect.gen(function* () {
      const hook = yield* receiver()
      const gateway = yield* Gateway
      const { webhook } = yield* gateway.webhooks.create(acme, { url: urlOf(hook), events: ["session.created"] })
      const named = yield* gateway.webhooks.create(acme, {
        url: Schema.decodeSync(WebhookUrlSchema)(hook.url.replace("127.0.0.1", "localhost")),
        events: ["session.created"]
      })
      yield* gateway.create(acme, { name: "internal" })
      yield* Effect.sleep("500 millis")
      expect(hook.deliveries()).toEqual([])
      for (const id of [webhook.webhookId, named.webhook.webhookId]) {
        const page = yield* gateway.webhooks.deliveries(acme, id, { status: "failed", pageSize: 10, afterSequence: null })
        expect(page.deliveries.map((d) => d.lastError)).toEqual(["the URL resolves to a loopback, private, link-local or unspecified address"])
      }
    }).pipe(Effect.provide(gatewayWith({ blockPrivateNetworks: true, retrySchedule: [] }))))

  it.live("bounds the attempts in flight at once, across sessions", () =>
    Effect.gen(function* () {
      const hook = yield* receiver({ delayMs: 40 })
      const gateway = yield* Gateway
      yield* gateway.webhooks.create(acme, { url: urlOf(hook), events: ["session.created"] })
      yield* Effect.forEach(Array.from({ length: 30 }, (_, i) => i), (i) => gateway.create(acme, { name: `s${i}` }), { concurrency: 10 })
      yield* until(hook, (n) => n === 30, 20_000)
      expect(hook.maxConcurrent()).toBeLessThanOrEqual(4)
      expect(hook.maxConcurrent()).toBeGreaterThan(1)
    }).pipe(Effect.provide(gatewayWith({ concurrency: 4 }))))
})

