import { type HttpApp, HttpServerRequest, HttpTraceContext } from "@effect/platform"
import { Effect, Option } from "effect"
import { routeTemplate } from "../metrics/route-template.js"

/**
 * One server span per request, named by method and route template (`GET
 * /api/v1/sessions/{session}`: no ids in names), with the final status; the
 * caller's `traceparent` (or B3) makes it a child of the caller's span. Only
 * method, route and status are recorded: no URL, query or header, which could
 * carry what the logs keep out.
 */
export const requestSpan = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const route = routeTemplate(request.url)
    return Effect.useSpan(
      `${request.method} ${route}`,
      {
        kind: "server",
        parent: Option.getOrUndefined(HttpTraceContext.fromHeaders(request.headers)),
        attributes: { "http.request.method": request.method },
        captureStackTrace: false
      },
      (span) =>
        Effect.tap(Effect.withParentSpan(app, span), (response) => {
          // Set last: the router writes its own `/:session` form of the route on the span it runs in.
          span.attribute("http.route", route)
          span.attribute("http.response.status_code", response.status)
        })
    )
  })
