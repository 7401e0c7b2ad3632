import { timingSafeEqual } from "node:crypto"
import { HttpApiBuilder, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Option, Redacted } from "effect"
import { GatewayMetrics } from "@wa-gateway/adapters"
import { collectDefaultMetrics } from "prom-client"
import { Unauthorized } from "../errors.js"

export interface MetricsOptions {
  /** `METRICS_TOKEN`: when set, `/metrics` needs `Authorization: Bearer <it>`; never an API key. */
  readonly token: Option.Option<Redacted.Redacted<string>>
  /** Node's own process metrics (CPU, memory, event loop, GC): the standalone server's, not every test's. */
  readonly processMetrics: boolean
}

const sameSecret = (given: string, expected: string): boolean => {
  const [a, b] = [Buffer.from(given), Buffer.from(expected)]
  return a.length === b.length && timingSafeEqual(a, b)
}

/** `GET /metrics`: the Prometheus text format, unauthenticated unless `METRICS_TOKEN` is set. */
export const metricsRoutes = (options: MetricsOptions) =>
  HttpApiBuilder.Router.use((router) =>
    Effect.gen(function* () {
      const { registry } = yield* GatewayMetrics
      if (options.processMetrics) collectDefaultMetrics({ register: registry })
      yield* router.get(
        "/metrics",
        Effect.gen(function* () {
          const request = yield* HttpServerRequest.HttpServerRequest
          if (Option.isSome(options.token)) {
            const header = request.headers["authorization"] ?? ""
            const given = header.startsWith("Bearer ") ? header.slice("Bearer ".length).trim() : ""
            if (!sameSecret(given, Redacted.value(options.token.value))) {
              return yield* Effect.fail(new Unauthorized({ message: "the metrics need their bearer token (METRICS_TOKEN)", details: {} }))
            }
          }
          const text = yield* Effect.promise(() => registry.metrics())
          return HttpServerResponse.text(text, { contentType: registry.contentType, headers: { "cache-control": "no-store" } })
        })
      )
    })
  )
