import { randomUUID } from "node:crypto"
import { HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Cause, Clock, Context, Effect, FiberRef, LogLevel } from "effect"
import { errorHttpResponse, InternalError } from "../errors.js"
import { RequestId } from "./request-id.js"

export const REQUEST_ID_HEADER = "x-request-id"

/** A caller's id is kept when it is a sane token, so traces join up across services. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

const requestIdOf = (request: HttpServerRequest.HttpServerRequest): string => {
  const incoming = request.headers[REQUEST_ID_HEADER]
  return incoming !== undefined && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID()
}

/**
 * One structured log line per request, every log line of the request
 * annotated with its id, and the id echoed in `x-request-id`. Below info
 * (LOG_LEVEL=warn…) the line is not even assembled.
 */
export const requestLog = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<never, R> =>
  Effect.withFiberRuntime((fiber) => {
    const request = Context.unsafeGet(fiber.currentContext, HttpServerRequest.HttpServerRequest)
    const requestId = requestIdOf(request)
    // The server writes the response before this middleware sees it: add the header on the way out.
    const handled = HttpApp.appendPreResponseHandler((_request, response) =>
      Effect.succeed(HttpServerResponse.setHeader(response, REQUEST_ID_HEADER, requestId))
    ).pipe(
      Effect.zipRight(app),
      // The envelope middleware answers every error; this is the last guard.
      Effect.catchAllCause((cause) =>
        Cause.isInterruptedOnly(cause)
          ? Effect.interrupt
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
          Effect.logInfo("request").pipe(
            Effect.annotateLogs({
              requestId,
              method: request.method,
              path: request.url.split("?")[0] ?? request.url,
              status: response.status,
              durationMs: finished - started
            })
          ))))
  })
