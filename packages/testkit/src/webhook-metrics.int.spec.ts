import { afterEach, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Schema } from "effect"
import { Gateway, GatewayMetrics, simulatorGatewayLayer, WebhookUrl } from "@wa-gateway/adapters"
import { OrgId } from "@wa-gateway/domain"
import { parsePrometheusText as parse, type PrometheusSample, sampleValue as valueOf } from "./prometheus-text.js"
import { type WebhookReceiver, webhookReceiver } from "./webhook-receiver.js"

const acme = OrgId.make("acme")

/** What `GET /metrics` serves: the gateway registry's text. */
const scrape = Effect.flatMap(GatewayMetrics, ({ registry }) => Effect.promise(() => registry.metrics())).pipe(Effect.map(parse))

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

describe("webhook metrics", () => {
  it.live("count every attempt under its outcome and time the 2xx ones, with no URL, org or session in a label", () =>
    Effect.gen(function* () {
      const [accepting, refusing, gone] = [yield* receiver(), yield* receiver({ failFirst: 1_000 }), yield* receiver({ gone: true })]
      const gateway = yield* Gateway
      const urlOf = (r: WebhookReceiver) => Schema.decodeSync(WebhookUrl)(r.url)
      const first = yield* gateway.create(acme, { name: "one" })
      const sessions = [first, yield* gateway.create(acme, { name: "two" }), yield* gateway.create(acme, { name: "three" })]
      // Subscribed after the sessions exist: each then gets one event per session, its pairing starting.
      yield* gateway.webhooks.create(acme, { url: urlOf(accepting), events: ["session.pairing_started"] })
      yield* gateway.webhooks.create(acme, { url: urlOf(refusing), events: ["session.pairing_started"] })
      // One session only: its first answer (410) disables the subscription, so exactly one attempt is made.
      yield* gateway.webhooks.create(acme, { url: urlOf(gone), events: ["session.pairing_started"], sessionIds: [first.sessionId] })
      const before = yield* scrape
      expect(valueOf(before, "wa_webhook_deliveries_total")).toBe(0)
      for (const session of sessions) yield* gateway.qr(acme, session.sessionId)

      // accepting: 3 succeeded; refusing: 3 retrying then 3 failed (one retry on this schedule); gone: 1.
      yield* Effect.promise(() => accepting.waitFor((d) => d.length === 3))
      yield* Effect.promise(() => refusing.waitFor((d) => d.length === 6))
      yield* Effect.promise(() => gone.waitFor((d) => d.length === 1))
      const counted = (samples: ReadonlyArray<PrometheusSample>) => valueOf(samples, "wa_webhook_deliveries_total")
      let after = yield* scrape
      for (let i = 0; i < 100 && counted(after) < 10; i++) after = yield* Effect.zipRight(Effect.sleep("20 millis"), scrape)
      // Nothing more arrives after a moment: the counts are final.
      yield* Effect.sleep("300 millis")
      after = yield* scrape

      expect(valueOf(after, "wa_webhook_deliveries_total", { outcome: "succeeded" })).toBe(3)
      expect(valueOf(after, "wa_webhook_deliveries_total", { outcome: "retrying" })).toBe(3)
      expect(valueOf(after, "wa_webhook_deliveries_total", { outcome: "failed" })).toBe(3)
      expect(valueOf(after, "wa_webhook_deliveries_total", { outcome: "gone" })).toBe(1)
      expect(valueOf(after, "wa_webhook_delivery_lag_seconds_count")).toBe(3)
      expect(valueOf(after, "wa_webhook_delivery_lag_seconds_sum")).toBeGreaterThan(0)
      expect(valueOf(after, "wa_webhook_deliveries_pending")).toBe(0)
      expect([accepting.deliveries().length, refusing.deliveries().length, gone.deliveries().length]).toEqual([3, 6, 1])

      const text = yield* Effect.flatMap(GatewayMetrics, ({ registry }) => Effect.promise(() => registry.metrics()))
      for (const secretive of [acme, "127.0.0.1", ...sessions.map((s) => s.sessionId)]) expect(text).not.toContain(secretive)
    }).pipe(Effect.provide(simulatorGatewayLayer({
      store: { _tag: "memory" },
      simulator: { seed: 11 },
      webhooks: { retrySchedule: [Duration.millis(50)] }
    }))))
})
