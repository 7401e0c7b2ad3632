import { type HttpApp, HttpServerRequest } from "@effect/platform"
import { Clock, Effect, Option } from "effect"
import { GatewayMetrics } from "@wa-gateway/adapters"
import { routeTemplate } from "./route-template.js"

/** `wa_http_requests_total{route, method, status}` and `wa_http_request_duration_seconds{route, method}` for every request. */
export const requestMetrics = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(Effect.serviceOption(GatewayMetrics), (metrics) =>
    Option.match(metrics, {
      onNone: () => app,
      onSome: ({ httpRequestSeconds, httpRequests }) =>
        Effect.gen(function* () {
          const request = yield* HttpServerRequest.HttpServerRequest
          const started = yield* Clock.currentTimeNanos
          const response = yield* app
          const seconds = Number((yield* Clock.currentTimeNanos) - started) / 1e9
          const route = routeTemplate(request.url)
          httpRequests.inc({ route, method: request.method, status: String(response.status) })
          httpRequestSeconds.observe({ route, method: request.method }, seconds)
          return response
        })
    }))
