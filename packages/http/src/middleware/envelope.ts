import {
  HttpApiError,
  type HttpApp,
  HttpIncomingMessage,
  HttpServerError,
  HttpServerRequest,
  HttpServerResponse
} from "@effect/platform"
import { NodeHttpServerRequest } from "@effect/platform-node"
import { Cause, Effect, Option } from "effect"
import {
  type ApiError,
  errorHttpResponse,
  InternalError,
  invalidJson,
  isApiError,
  NotFound,
  PayloadTooLarge,
  ValidationError,
  validationErrorFromIssues
} from "../errors.js"
import { ignoresBody, readBody, withBody, withEmptyBody } from "./buffered-body.js"
import { JSON_DEPTH_LIMIT, nestsDeeperThan } from "./json-depth.js"

/** Request bodies above this are refused with 413 (DESIGN §5). */
export const BODY_LIMIT_BYTES = 64 * 1024

const tooLarge = () =>
  new PayloadTooLarge({
    message: `the request body is larger than ${BODY_LIMIT_BYTES} bytes`,
    details: { limitBytes: BODY_LIMIT_BYTES }
  })

const internal = () => new InternalError({ message: "internal error", details: {} })

const announcesBody = (request: HttpServerRequest.HttpServerRequest): boolean => {
  const length = request.headers["content-length"]
  return (length !== undefined && length.trim() !== "0") || request.headers["transfer-encoding"] !== undefined
}

const isJsonType = (contentType: string): boolean => {
  const mediaType = contentType.split(";")[0]?.trim().toLowerCase() ?? ""
  return mediaType === "application/json" || (mediaType.startsWith("application/") && mediaType.endsWith("+json"))
}

/** RFC 9112 §3.2: an HTTP/1.1 request without Host is refused (the server leaves that check to us, to answer in the envelope). */
const lacksHost = (request: HttpServerRequest.HttpServerRequest): boolean =>
  request.headers["host"] === undefined && NodeHttpServerRequest.toIncomingMessage(request).httpVersion === "1.1"

/** Refusals decided from the headers alone, before a route reads anything. */
const refuseEarly = (request: HttpServerRequest.HttpServerRequest): Option.Option<ApiError> => {
  if (lacksHost(request)) {
    return Option.some(new ValidationError({ message: "an HTTP/1.1 request needs a Host header", details: {} }))
  }
  const length = Number(request.headers["content-length"] ?? "0")
  if (Number.isFinite(length) && length > BODY_LIMIT_BYTES) return Option.some(tooLarge())
  const contentType = request.headers["content-type"]
  // Every body this API accepts is JSON; a missing Content-Type is read as JSON.
  if (announcesBody(request) && contentType !== undefined && !isJsonType(contentType)) {
    return Option.some(
      new ValidationError({
        message: "the request body must be JSON (Content-Type: application/json)",
        details: { contentType }
      })
    )
  }
  return Option.none()
}

/** A body-taking request without a body, labelled as something other than JSON (`curl -d ''` sends a form type). */
const typedEmptyBody = (request: HttpServerRequest.HttpServerRequest): boolean => {
  const contentType = request.headers["content-type"]
  return contentType !== undefined && !isJsonType(contentType) && !announcesBody(request) && !ignoresBody(request.method)
}

const isChunked = (request: HttpServerRequest.HttpServerRequest): boolean =>
  request.headers["content-length"] === undefined && request.headers["transfer-encoding"] !== undefined

/**
 * The platform runs this middleware uninterruptibly and interrupts a request
 * whose client left. Read here uninterruptibly, a body whose client is gone
 * would let the request go on to answer a closed response, which the platform
 * then waits on forever; read interruptibly, the request ends where it stands.
 */
const readInterruptibly = <A, E, R>(read: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => Effect.interruptible(read)

const tooDeep = () =>
  new ValidationError({
    message: `the request body nests deeper than ${JSON_DEPTH_LIMIT} levels`,
    details: { depthLimit: JSON_DEPTH_LIMIT }
  })

/**
 * Bodies are read here, whole, before any route: a chunked one is judged by
 * its size (a body without Content-Length can only be measured by reading
 * it), and a JSON one by its depth before anything parses and decodes it. A
 * bodiless method's chunked body is drained within the limit and ignored.
 */
const readsBodyFirst = (request: HttpServerRequest.HttpServerRequest): boolean =>
  isChunked(request) || (announcesBody(request) && !ignoresBody(request.method))

const withBufferedBody = <E, R>(
  request: HttpServerRequest.HttpServerRequest,
  app: HttpApp.Default<E, R>
): HttpApp.Default<E | HttpServerError.RequestError, R> =>
  Effect.flatMap(readInterruptibly(readBody(request, BODY_LIMIT_BYTES)), (body) =>
    Option.match(body, {
      onNone: () =>
        Effect.succeed(HttpServerResponse.setHeader(errorHttpResponse(tooLarge()), "connection", "close")),
      onSome: (bytes) =>
        ignoresBody(request.method)
          ? app
          : nestsDeeperThan(bytes.toString("utf8"), JSON_DEPTH_LIMIT)
          ? Effect.succeed(errorHttpResponse(tooDeep()))
          : Effect.provideService(app, HttpServerRequest.HttpServerRequest, withBody(request, bytes))
    }))

/** A body that could not be read: too large, not JSON, or the client went away. */
const fromRequestError = (error: HttpServerError.RequestError): ApiError => {
  const cause = error.cause
  if (cause instanceof Error && cause.message === "maxBytes exceeded") return tooLarge()
  if (cause instanceof SyntaxError) return invalidJson()
  return new ValidationError({ message: "the request body could not be read", details: {} })
}

const isRequestError = (u: unknown): u is HttpServerError.RequestError =>
  HttpServerError.isServerError(u) && u._tag === "RequestError"

const isRouteNotFound = (u: unknown): u is HttpServerError.RouteNotFound =>
  HttpServerError.isServerError(u) && u._tag === "RouteNotFound"

/**
 * Client mistakes become their envelope without a stack trace in the log;
 * anything else is a bug: logged with its cause (and the request id the
 * request logger annotates), answered 500 with a generic message.
 */
export const toApiError = (cause: Cause.Cause<unknown>): Effect.Effect<ApiError> => {
  const failure = Cause.failureOption(cause)
  const defect = Cause.dieOption(cause)
  const reason: unknown = Option.isSome(failure) ? failure.value : Option.getOrUndefined(defect)
  if (isApiError(reason)) return Effect.succeed(reason)
  if (reason instanceof HttpApiError.HttpApiDecodeError) return Effect.succeed(validationErrorFromIssues(reason.issues))
  if (isRouteNotFound(reason)) {
    return Effect.succeed(new NotFound({ message: "route not found", details: { method: reason.request.method } }))
  }
  if (isRequestError(reason)) return Effect.succeed(fromRequestError(reason))
  return Effect.as(Effect.logError("internal error", cause), internal())
}

/**
 * Wraps the whole API (routes, /openapi.json, /docs) so every non-2xx
 * response leaves in the envelope of spec/API.md (DESIGN §9).
 */
export const envelope = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<never, R> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    Option.match(refuseEarly(request), {
      onSome: (error) => Effect.succeed(errorHttpResponse(error)),
      onNone: () =>
        readsBodyFirst(request)
          ? withBufferedBody(request, app)
          : typedEmptyBody(request)
          ? Effect.provideService(app, HttpServerRequest.HttpServerRequest, withEmptyBody(request))
          : app
    })).pipe(
      HttpIncomingMessage.withMaxBodySize(Option.some(BODY_LIMIT_BYTES)),
      Effect.catchAllCause((cause): Effect.Effect<HttpServerResponse.HttpServerResponse> =>
        Cause.isInterruptedOnly(cause)
          // Kept as it is: the platform tells a client's abort from a shutdown by the interrupter.
          ? Effect.failCause(Cause.stripFailures(cause))
          : Effect.map(toApiError(cause), errorHttpResponse)
      )
    )
