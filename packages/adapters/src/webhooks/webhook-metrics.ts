import { type Context, Effect, Runtime } from "effect"
import { Counter, Gauge, Histogram } from "prom-client"
import type { GatewayMetrics } from "../observability/gateway-metrics.js"
import type { ClaimedDelivery, DeliveryOutcome, WebhookStore } from "../store/webhook-store.js"

// The dispatcher's Prometheus metrics (issue 12), on the gateway's registry.
// Labelled by outcome only: no URL, org, subscription or session.

/** What one attempt came to, as the deliveries counter labels it. */
const deliveryOutcomeLabel = (outcome: Exclude<DeliveryOutcome, { readonly _tag: "Released" }>): "succeeded" | "retrying" | "failed" | "gone" => {
  switch (outcome._tag) {
    case "Succeeded":
      return "succeeded"
    case "Retry":
      return "retrying"
    case "Failed":
      return outcome.disableWebhook ? "gone" : "failed"
  }
}

const OUTCOMES = ["succeeded", "retrying", "failed", "gone"] as const

/** When the delivered thing happened: a log event's or connection change's time; a test message's queueing. */
const happenedAt = (delivery: ClaimedDelivery): Date =>
  delivery.source._tag === "Test" ? delivery.createdAt : delivery.source.event.occurredAt

/**
 * Registers the webhook metrics and answers the sender's observer: each
 * attempt counted under its outcome, and for a 2xx the time from the event to
 * the answer. The pending gauge reads the store when scraped.
 */
export const makeWebhookMetrics = (
  metrics: Context.Tag.Service<GatewayMetrics>,
  webhooks: Context.Tag.Service<WebhookStore>
) =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    const registers = [metrics.registry]
    const deliveries = new Counter({
      name: "wa_webhook_deliveries_total",
      help: "Webhook delivery attempts by outcome (succeeded: 2xx; retrying: failed, another attempt is scheduled; failed: no attempts left; gone: 410, the subscription disabled)",
      labelNames: ["outcome"],
      registers
    })
    // Every outcome present from the start, so a rate over it never begins missing.
    for (const outcome of OUTCOMES) deliveries.inc({ outcome }, 0)
    const lag = new Histogram({
      name: "wa_webhook_delivery_lag_seconds",
      help: "From an event's append to the receiver's 2xx (retries included; a replay counts from the original event)",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200, 36000],
      registers
    })
    new Gauge({
      name: "wa_webhook_deliveries_pending",
      help: "Webhook deliveries not yet succeeded or failed, in every process on the store (read from the store when scraped)",
      registers,
      async collect() {
        const pending = await Runtime.runPromise(runtime)(Effect.either(webhooks.pendingCount))
        if (pending._tag === "Right") this.set(pending.right)
      }
    })

    return (delivery: ClaimedDelivery, outcome: DeliveryOutcome, at: Date): Effect.Effect<void> =>
      Effect.sync(() => {
        if (outcome._tag === "Released") return
        deliveries.inc({ outcome: deliveryOutcomeLabel(outcome) })
        if (outcome._tag === "Succeeded") lag.observe(Math.max(0, at.getTime() - happenedAt(delivery).getTime()) / 1000)
      })
  })
