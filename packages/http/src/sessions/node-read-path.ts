import type { IncomingMessage, ServerResponse } from "node:http"
import { HttpServerResponse } from "@effect/platform"
import { Clock, Effect, FiberRef, FiberRefs, LogLevel, Option, Runtime } from "effect"
import { GatewayMetrics } from "@wa-gateway/adapters"
import { errorHttpResponse, InternalError } from "../errors.js"
import { toApiError } from "../middleware/envelope.js"
import { REQUEST_ID_HEADER, requestIdFrom, requestLine } from "../middleware/request-log.js"
import { RequestId } from "../middleware/request-id.js"
import { routeTemplate } from "../metrics/route-template.js"
import { type ReadRoute, sessionReadRoutes } from "./read-fast-path.js"

/** Takes a request from Node before the platform does (true), or leaves it (false). */
export type NodeRequestTaker = (request: IncomingMessage, response: ServerResponse) => boolean

/**
 * The place a server looks for its taker: filled once the taker's layer is
 * built, emptied when the server stops serving.
 */
export interface NodeReadPathSlot {
  current: NodeRequestTaker | undefined
}

/**
 * A GET the path may take: no body to read or refuse, a Host header where
 * HTTP/1.1 requires one. Anything else the envelope middleware judges.
 */
const isPlainGet = (request: IncomingMessage): boolean =>
  request.method === "GET" &&
  request.headers["content-length"] === undefined &&
  request.headers["transfer-encoding"] === undefined &&
  (request.headers.host !== undefined || request.httpVersion !== "1.1")

/** The response as the platform writes one with a whole body (platform-node's `handleResponse`). */
const write = (response: ServerResponse, answer: HttpServerResponse.HttpServerResponse): void => {
  response.writeHead(answer.status, answer.headers)
  const body = answer.body
  if (body._tag === "Uint8Array") response.end(body.body)
  else response.end()
}

/** A 200 with the encoded body, as `okJson` and the platform would write it, without the response object between. */
const writeOk = (response: ServerResponse, body: unknown): void => {
  const text = JSON.stringify(body)
  response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  response.end(text)
}

/** The metrics' route labels of the two reads (what `routeTemplate` makes of their URLs). */
const SESSION_ROUTE = routeTemplate("/api/v1/sessions/sess_00000000000000000000000000")
const LIST_ROUTE = routeTemplate("/api/v1/sessions")

const internal = () => errorHttpResponse(new InternalError({ message: "internal error", details: {} }))

/**
 * The session reads (`GET /api/v1/sessions/{id}` and the plain list) served
 * from Node's request event, ahead of Effect's HTTP server, whose
 * per-request machinery (the request object, a scope, the middleware chain
 * as fibers, the response conversion) cost more than the read itself in a
 * profile of the server (bench/README.md). Everything a request gets on the
 * platform's path it gets here, by the same functions: the routes' own
 * handling (read-fast-path.ts), the envelope's error mapping, the
 * `x-request-id` echo, the request log line and the request metrics. A
 * request whose client leaves first is logged as 499 and not counted, as on
 * the platform's path. Not used with tracing on (the server span is made by
 * the platform's middleware).
 */
export const makeNodeReadPath = Effect.gen(function* () {
  const { routeOf, serve } = yield* sessionReadRoutes
  const metrics = yield* Effect.serviceOption(GatewayMetrics)
  const runtime = yield* Effect.runtime<never>()
  const logsRequests = !LogLevel.lessThan(LogLevel.Info, FiberRefs.getOrDefault(runtime.fiberRefs, FiberRef.currentMinimumLogLevel))
  const run = Runtime.runFork(runtime)

  const handle = (request: IncomingMessage, response: ServerResponse, route: ReadRoute) => {
    const url = request.url ?? "/"
    const requestId = requestIdFrom(firstValue(request.headers[REQUEST_ID_HEADER]))
    response.setHeader(REQUEST_ID_HEADER, requestId)
    return Effect.gen(function* () {
      const started = yield* Clock.currentTimeNanos
      const answer = yield* serve(route, request.headers.authorization).pipe(
        Effect.map((body) => ({ status: 200, body, failed: undefined })),
        Effect.catchAllCause((cause) => Effect.map(toApiError(cause), (error) => {
          const failed = errorHttpResponse(error)
          return { status: failed.status, body: undefined, failed }
        }))
      )
      const finished = yield* Clock.currentTimeNanos
      // The platform answers nothing to a client that left, and logs it as 499.
      const left = response.destroyed
      if (!left) {
        if (answer.failed === undefined) writeOk(response, answer.body)
        else write(response, answer.failed)
      }
      if (!left && Option.isSome(metrics)) {
        const template = route._tag === "get" ? SESSION_ROUTE : LIST_ROUTE
        metrics.value.httpRequests.inc({ route: template, method: "GET", status: String(answer.status) })
        metrics.value.httpRequestSeconds.observe({ route: template, method: "GET" }, Number(finished - started) / 1e9)
      }
      if (logsRequests) {
        yield* requestLine({
          requestId,
          method: "GET",
          url,
          status: left ? 499 : answer.status,
          durationMs: Math.round(Number(finished - started) / 1e6)
        })
      }
    }).pipe(
      Effect.annotateLogs("requestId", requestId),
      Effect.provideService(RequestId, requestId),
      // The last guard, as the request log middleware is on the platform's path.
      Effect.catchAllCause((cause) =>
        Effect.sync(() => {
          if (!response.headersSent && !response.destroyed) write(response, internal())
        }).pipe(Effect.zipRight(Effect.logError("unhandled failure", cause))))
    )
  }

  const take: NodeRequestTaker = (request, response) => {
    if (!isPlainGet(request)) return false
    const route = routeOf(request.url ?? "")
    if (route === undefined) return false
    run(handle(request, response, route))
    return true
  }
  return take
})

const firstValue = (header: string | ReadonlyArray<string> | undefined): string | undefined =>
  typeof header === "string" ? header : header?.[0]
