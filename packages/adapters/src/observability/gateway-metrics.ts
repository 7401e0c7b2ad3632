import { Context, Effect, Layer, Runtime } from "effect"
import { Counter, Gauge, Histogram, Registry } from "prom-client"
import { EventStore } from "@wa-gateway/domain"

// The gateway's Prometheus metrics (issue 12). No label names a session, an
// org or a phone: cardinality stays bounded and nothing personal leaves.

export interface GatewayMetricsService {
  /** Everything below, and whatever else registers here (process metrics, webhooks). */
  readonly registry: Registry
  readonly sessionsConnected: Gauge
  readonly reconnects: Counter<"cause">
  readonly disconnects: Counter<"cause">
  readonly pairingAttempts: Counter<"method" | "outcome">
  readonly appendSeconds: Histogram<"outcome">
  readonly httpRequests: Counter<"route" | "method" | "status">
  readonly httpRequestSeconds: Histogram<"route" | "method">
  readonly bootResumeSeconds: Gauge
}

export class GatewayMetrics extends Context.Tag("wa-gateway/GatewayMetrics")<GatewayMetrics, GatewayMetricsService>() {
  /** A registry of its own per gateway (tests run many in one process); the sessions gauge reads the store at scrape time. */
  static readonly layer: Layer.Layer<GatewayMetrics, never, EventStore> = Layer.effect(
    this,
    Effect.gen(function* () {
      const store = yield* EventStore
      const runtime = yield* Effect.runtime<never>()
      const registry = new Registry()
      const registers = [registry]
      new Gauge({
        name: "wa_sessions",
        help: "Sessions by status (read from the store when scraped)",
        labelNames: ["status"],
        registers,
        async collect() {
          const counts = await Runtime.runPromise(runtime)(Effect.either(store.sessionCounts))
          if (counts._tag === "Left") return
          for (const [status, count] of Object.entries(counts.right)) this.set({ status }, count)
        }
      })
      return {
        registry,
        sessionsConnected: new Gauge({ name: "wa_sessions_connected", help: "Sessions whose WhatsApp socket is open", registers }),
        reconnects: new Counter({
          name: "wa_reconnects_total",
          help: "Sockets closed that the engine opens again by itself, by cause",
          labelNames: ["cause"],
          registers
        }),
        disconnects: new Counter({
          name: "wa_disconnects_total",
          help: "Sockets closed, by cause (reconnected or not)",
          labelNames: ["cause"],
          registers
        }),
        pairingAttempts: new Counter({
          name: "wa_pairing_attempts_total",
          help: "Pairing attempts by method (qr, code) and outcome (started, paired, expired, rejected, engine_error)",
          labelNames: ["method", "outcome"],
          registers
        }),
        appendSeconds: new Histogram({
          name: "wa_event_store_append_seconds",
          help: "Event store appends (events and read model in one statement), by outcome",
          labelNames: ["outcome"],
          buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
          registers
        }),
        httpRequests: new Counter({
          name: "wa_http_requests_total",
          help: "HTTP requests by route template, method and status",
          labelNames: ["route", "method", "status"],
          registers
        }),
        httpRequestSeconds: new Histogram({
          name: "wa_http_request_duration_seconds",
          help: "HTTP request duration by route template and method",
          labelNames: ["route", "method"],
          buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
          registers
        }),
        bootResumeSeconds: new Gauge({
          name: "wa_boot_resume_seconds",
          help: "How long the boot pass took to reconnect every paired session (unset until it is done)",
          registers
        })
      }
    })
  )
}
