import { randomUUID } from "node:crypto"
import { ServerResponse } from "node:http"
import { HttpApp, HttpServerError, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServerRequest } from "@effect/platform-node"
import {
  Cause,
  Chunk,
  Clock,
  Context,
  DefaultServices,
  Effect,
  type FiberId,
  FiberRef,
  FiberRefs,
  HashMap,
  HashSet,
  Inspectable,
  LogLevel,
  type Runtime
} from "effect"
import { errorHttpResponse, InternalError } from "../errors.js"
import { RequestId } from "./request-id.js"

export const REQUEST_ID_HEADER = "x-request-id"

/** A caller's id is kept when it is a sane token, so traces join up across services. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** The caller's `x-request-id` when it is a sane token, else a new one. */
export const requestIdFrom = (incoming: string | undefined): string =>
  incoming !== undefined && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID()

const requestIdOf = (request: HttpServerRequest.HttpServerRequest): string => requestIdFrom(request.headers[REQUEST_ID_HEADER])

/** Node's own response to the request, when node:http serves it (not for a request made from a fetch `Request`). */
const nodeResponseOf = (request: HttpServerRequest.HttpServerRequest): ServerResponse | undefined => {
  const response: unknown = NodeHttpServerRequest.toServerResponse(request)
  return response instanceof ServerResponse ? response : undefined
}

/**
 * `x-request-id` on whatever answer the request gets. The server writes the
 * response before this middleware sees it, so the header goes on Node's
 * response up front (node:http merges it into the head it writes, errors
 * included); a platform pre-response handler did the same at 12 µs of CPU a
 * request, a sixth of the server's own per-request cost (bench/README.md).
 */
const echoRequestId = <E, R>(request: HttpServerRequest.HttpServerRequest, requestId: string, app: HttpApp.Default<E, R>): HttpApp.Default<E, R> => {
  const response = nodeResponseOf(request)
  if (response === undefined) {
    return HttpApp.appendPreResponseHandler((_request, response) =>
      Effect.succeed(HttpServerResponse.setHeader(response, REQUEST_ID_HEADER, requestId))).pipe(Effect.zipRight(app))
  }
  response.setHeader(REQUEST_ID_HEADER, requestId)
  return app
}

/** The answer a request gets in the log when its client left first (nginx's "client closed request"); never sent. */
const clientClosed = HttpServerResponse.empty({ status: 499 })

/**
 * The client closed the connection before its answer was written: the platform
 * interrupted the request with its client-abort id, and nothing failed besides
 * (the platform adds the response it chose as a defect of its own).
 */
const isClientAbort = (cause: Cause.Cause<unknown>): boolean =>
  HashSet.has(Cause.interruptors(cause), HttpServerError.clientAbortFiberId) &&
  Chunk.isEmpty(Cause.failures(cause)) &&
  Chunk.every(Cause.defects(cause), HttpServerResponse.isServerResponse)

/**
 * One structured log line per request, every log line of the request
 * annotated with its id, and the id echoed in `x-request-id`. Below info
 * (LOG_LEVEL=warn…) the line is not even assembled.
 */
export const requestLog = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<never, R> =>
  Effect.withFiberRuntime((fiber) => {
    const request = Context.unsafeGet(fiber.currentContext, HttpServerRequest.HttpServerRequest)
    const requestId = requestIdOf(request)
    const handled = echoRequestId(request, requestId, app).pipe(
      // The envelope middleware answers every error; this is the last guard.
      // A client that left is no failure of ours; another interruption keeps
      // its own interrupter (a shutdown is not a client's abort).
      Effect.catchAllCause((cause) =>
        isClientAbort(cause)
          ? Effect.succeed(clientClosed)
          : Cause.isInterruptedOnly(cause)
          ? Effect.failCause(Cause.stripFailures(cause))
          : Effect.as(
            Effect.logError("unhandled failure", cause),
            errorHttpResponse(new InternalError({ message: "internal error", details: {} }))
          )
      ),
      Effect.annotateLogs("requestId", requestId),
      Effect.provideService(RequestId, requestId)
    )
    if (LogLevel.lessThan(LogLevel.Info, fiber.getFiberRef(FiberRef.currentMinimumLogLevel))) return handled
    return Effect.flatMap(Clock.currentTimeMillis, (started) =>
      Effect.tap(handled, (response) =>
        Effect.flatMap(Clock.currentTimeMillis, (finished) =>
          requestLine({ requestId, method: request.method, url: request.url, status: response.status, durationMs: finished - started }))))
  })

export interface RequestLineFields {
  readonly requestId: string
  readonly method: string
  readonly url: string
  readonly status: number
  readonly durationMs: number
}

const pathOf = (url: string): string => url.split("?")[0] ?? url

/** The one log line of a request (its path without the query, which may carry tokens). */
export const requestLine = (fields: RequestLineFields): Effect.Effect<void> =>
  Effect.logInfo("request").pipe(
    Effect.annotateLogs({
      requestId: fields.requestId,
      method: fields.method,
      path: pathOf(fields.url),
      status: fields.status,
      durationMs: fields.durationMs
    })
  )

/**
 * `requestLine` without a fiber to run it: the line handed to the loggers of
 * `runtime` exactly as a fiber forked from it, annotated with the request's
 * id (as `requestLog` annotates it), hands `Effect.logInfo`'s line to them,
 * with that fiber's id (`fiberId`). For a request whose work already ran in
 * a fiber of its own (node-read-path.ts): a second fiber just to log cost
 * more than the line. The two agree (request-log.unit.spec.ts).
 */
export const requestLineOutsideFiber = (runtime: Runtime.Runtime<never>) => {
  const refs = runtime.fiberRefs
  const loggers = FiberRefs.getOrDefault(refs, FiberRef.currentLoggers)
  const spans = FiberRefs.getOrDefault(refs, FiberRef.currentLogSpan)
  const annotations = FiberRefs.getOrDefault(refs, FiberRef.currentLogAnnotations)
  const logs = !LogLevel.greaterThan(FiberRefs.getOrDefault(refs, FiberRef.currentMinimumLogLevel), LogLevel.Info)
  const clock = Context.get(FiberRefs.getOrDefault(refs, DefaultServices.currentServices), Clock.Clock)
  const message = ["request"]
  return (fiberId: FiberId.FiberId, fields: RequestLineFields): void => {
    if (!logs || HashSet.size(loggers) === 0) return
    const options = {
      fiberId,
      logLevel: LogLevel.Info,
      message,
      cause: Cause.empty,
      context: refs,
      spans,
      annotations: HashMap.mutate(annotations, (all) => {
        HashMap.set(all, "requestId", fields.requestId)
        HashMap.set(all, "method", fields.method)
        HashMap.set(all, "path", pathOf(fields.url))
        HashMap.set(all, "status", fields.status)
        HashMap.set(all, "durationMs", fields.durationMs)
      }),
      date: new Date(clock.unsafeCurrentTimeMillis())
    }
    Inspectable.withRedactableContext(refs, () => {
      for (const logger of loggers) logger.log(options)
    })
  }
}
