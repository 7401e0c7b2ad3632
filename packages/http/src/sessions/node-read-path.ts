import type { IncomingMessage, ServerResponse } from "node:http"
import type { HttpServerResponse } from "@effect/platform"
import { Cause, Context, Effect, Exit, type Fiber, FiberRef, FiberRefs, HashMap, LogLevel, Option, Runtime } from "effect"
import { GatewayMetrics } from "@wa-gateway/adapters"
import { errorHttpResponse, InternalError } from "../errors.js"
import { toApiError } from "../middleware/envelope.js"
import { REQUEST_ID_HEADER, requestIdFrom, requestLineOutsideFiber } from "../middleware/request-log.js"
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

/**
 * The response as the platform writes one with a whole body (platform-node's
 * `handleResponse`), the request id first as the platform's path sets it.
 */
const write = (response: ServerResponse, requestId: string, answer: HttpServerResponse.HttpServerResponse): void => {
  response.writeHead(answer.status, { [REQUEST_ID_HEADER]: requestId, ...answer.headers })
  const body = answer.body
  if (body._tag === "Uint8Array") response.end(body.body)
  else response.end()
}

/**
 * A 200 with the encoded body, as `okJson` and the platform would write it,
 * without the response object between; the head as one flat list, which Node
 * writes without building a header map first.
 */
const writeOk = (response: ServerResponse, requestId: string, body: unknown): void => {
  const text = JSON.stringify(body)
  response.writeHead(200, [
    REQUEST_ID_HEADER, requestId,
    "content-type", "application/json",
    "content-length", String(Buffer.byteLength(text))
  ])
  response.end(text)
}

/** The metrics' route labels of the two reads (what `routeTemplate` makes of their URLs). */
const SESSION_ROUTE = routeTemplate("/api/v1/sessions/sess_00000000000000000000000000")
const LIST_ROUTE = routeTemplate("/api/v1/sessions")

const internal = () => errorHttpResponse(new InternalError({ message: "internal error", details: {} }))

/** What a read ends in: the 200 body, or the envelope's answer to what it failed with. */
type Answer =
  | { readonly status: 200; readonly body: unknown }
  | { readonly status: number; readonly failed: HttpServerResponse.HttpServerResponse }

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
 *
 * Only the read itself runs as an effect, one fiber a request; the rest
 * (the request id, the caller of a key verified moments ago, the response,
 * the metrics and the log line) is plain code around it, which a fiber made
 * cost a tenth of a GET in a profile of the server.
 */
export const makeNodeReadPath = Effect.gen(function* () {
  const { recall, routeOf, serve, serveAs } = yield* sessionReadRoutes
  const metrics = Option.getOrUndefined(yield* Effect.serviceOption(GatewayMetrics))
  const runtime = yield* Effect.runtime<never>()
  const clock = yield* Effect.clock
  const logsRequests = !LogLevel.lessThan(LogLevel.Info, FiberRefs.getOrDefault(runtime.fiberRefs, FiberRef.currentMinimumLogLevel))
  const logRequest = requestLineOutsideFiber(runtime)
  const run = Runtime.runFork(runtime)
  const annotations = FiberRefs.getOrDefault(runtime.fiberRefs, FiberRef.currentLogAnnotations)

  /**
   * A request's fiber starts as `Effect.annotateLogs("requestId", id)` and
   * `Effect.provideService(RequestId, id)` around its work would make it,
   * without the two scoped changes (their ops and the copies of the
   * fiber's refs on entry and on exit).
   */
  const forkedFor = (requestId: string): Runtime.RunForkOptions => ({
    updateRefs: (refs, fiberId) =>
      FiberRefs.updateManyAs(refs, {
        entries: [
          [FiberRef.currentLogAnnotations, [[fiberId, HashMap.set(annotations, "requestId", requestId)]]],
          [FiberRef.currentContext, [[fiberId, Context.add(runtime.context, RequestId, requestId)]]]
        ]
      })
  })

  /** The read, ended in its answer: what it fails with becomes the envelope's error, as on every route. */
  const answerOf = (route: ReadRoute, request: IncomingMessage): Effect.Effect<Answer> => {
    const authorization = request.headers.authorization
    const caller = recall(authorization)
    return Effect.matchCauseEffect(caller === undefined ? serve(route, authorization) : serveAs(caller, route), {
      onSuccess: (body) => Effect.succeed({ status: 200 as const, body }),
      onFailure: (cause) => Effect.map(toApiError(cause), (error) => {
        const failed = errorHttpResponse(error)
        return { status: failed.status, failed }
      })
    })
  }

  /** The last guard, as the request log middleware is on the platform's path. */
  const unhandled = (response: ServerResponse, requestId: string, cause: Cause.Cause<unknown>) => {
    if (!response.headersSent && !response.destroyed) write(response, requestId, internal())
    run(Effect.logError("unhandled failure", cause).pipe(Effect.annotateLogs("requestId", requestId)))
  }

  const finish = (
    response: ServerResponse,
    route: ReadRoute,
    requestId: string,
    url: string,
    started: bigint,
    fiber: Fiber.RuntimeFiber<Answer>,
    exit: Exit.Exit<Answer>
  ) => {
    if (Exit.isFailure(exit)) return unhandled(response, requestId, exit.cause)
    const answer = exit.value
    const finished = clock.unsafeCurrentTimeNanos()
    // The platform answers nothing to a client that left, and logs it as 499.
    const left = response.destroyed
    if (!left) {
      if ("body" in answer) writeOk(response, requestId, answer.body)
      else write(response, requestId, answer.failed)
      if (metrics !== undefined) {
        const template = route._tag === "get" ? SESSION_ROUTE : LIST_ROUTE
        metrics.httpRequests.inc({ route: template, method: "GET", status: String(answer.status) })
        metrics.httpRequestSeconds.observe({ route: template, method: "GET" }, Number(finished - started) / 1e9)
      }
    }
    if (logsRequests) {
      logRequest(fiber.id(), {
        requestId,
        method: "GET",
        url,
        status: left ? 499 : answer.status,
        durationMs: Math.round(Number(finished - started) / 1e6)
      })
    }
  }

  const handle = (request: IncomingMessage, response: ServerResponse, route: ReadRoute) => {
    const started = clock.unsafeCurrentTimeNanos()
    const url = request.url ?? "/"
    const requestId = requestIdFrom(firstValue(request.headers[REQUEST_ID_HEADER]))
    try {
      const fiber = run(answerOf(route, request), forkedFor(requestId))
      fiber.addObserver((exit) => {
        try {
          finish(response, route, requestId, url, started, fiber, exit)
        } catch (error) {
          unhandled(response, requestId, Cause.die(error))
        }
      })
    } catch (error) {
      unhandled(response, requestId, Cause.die(error))
    }
  }

  const take: NodeRequestTaker = (request, response) => {
    if (!isPlainGet(request)) return false
    const route = routeOf(request.url ?? "")
    if (route === undefined) return false
    handle(request, response, route)
    return true
  }
  return take
})

const firstValue = (header: string | ReadonlyArray<string> | undefined): string | undefined =>
  typeof header === "string" ? header : header?.[0]
