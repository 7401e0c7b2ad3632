import { HttpApiSchema, HttpServerResponse } from "@effect/platform"
import { Effect, ParseResult, Schema } from "effect"
import { type ErrorTable, type GatewayFailure, rowOf } from "@wa-gateway/adapters"

// The error envelope of spec/API.md and the one mapping from every internal
// failure to it. Every non-2xx response of the server leaves through here.

export const ErrorCode = Schema.Literal(
  "validation_error",
  "unauthorized",
  "forbidden",
  "not_found",
  "conflict",
  "payload_too_large",
  "not_implemented",
  "unavailable",
  "internal"
)
export type ErrorCode = typeof ErrorCode.Type

/** Always an object; never stack traces, SQL or internal names. */
export const ErrorDetails = Schema.Record({ key: Schema.String, value: Schema.Unknown })
export type ErrorDetails = typeof ErrorDetails.Type

/** The wire shape of every error: `{ error: { code, message, details } }`. */
export const ErrorResponse = Schema.Struct({
  error: Schema.Struct({ code: ErrorCode, message: Schema.String, details: ErrorDetails })
}).annotations({ identifier: "ErrorResponse" })
export type ErrorResponse = typeof ErrorResponse.Type

const fields = { message: Schema.String, details: ErrorDetails }

export class ValidationError extends Schema.TaggedError<ValidationError>()("ValidationError", fields) {
  static readonly code = "validation_error"
  static readonly status = 400
}
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", fields) {
  static readonly code = "unauthorized"
  static readonly status = 401
}
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", fields) {
  static readonly code = "forbidden"
  static readonly status = 403
}
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", fields) {
  static readonly code = "not_found"
  static readonly status = 404
}
export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", fields) {
  static readonly code = "conflict"
  static readonly status = 409
}
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()("PayloadTooLarge", fields) {
  static readonly code = "payload_too_large"
  static readonly status = 413
}
export class NotImplemented extends Schema.TaggedError<NotImplemented>()("NotImplemented", fields) {
  static readonly code = "not_implemented"
  static readonly status = 501
}
export class Unavailable extends Schema.TaggedError<Unavailable>()("Unavailable", fields) {
  static readonly code = "unavailable"
  static readonly status = 503
}
export class InternalError extends Schema.TaggedError<InternalError>()("InternalError", fields) {
  static readonly code = "internal"
  static readonly status = 500
}

export type ApiError =
  | ValidationError
  | Unauthorized
  | Forbidden
  | NotFound
  | Conflict
  | PayloadTooLarge
  | NotImplemented
  | Unavailable
  | InternalError

interface ApiErrorClass<E extends ApiError> {
  new(args: { readonly message: string; readonly details: ErrorDetails }): E
  readonly code: ErrorCode
  readonly status: number
}

const apiErrorClasses = {
  ValidationError,
  Unauthorized,
  Forbidden,
  NotFound,
  Conflict,
  PayloadTooLarge,
  NotImplemented,
  Unavailable,
  InternalError
} as const satisfies { readonly [Tag in ApiError["_tag"]]: ApiErrorClass<Extract<ApiError, { _tag: Tag }>> }

const classes: ReadonlyArray<Function> = Object.values(apiErrorClasses)

export const isApiError = (u: unknown): u is ApiError => classes.some((cls) => u instanceof cls)

export const statusOf = (error: ApiError): number => apiErrorClasses[error._tag].status
export const codeOf = (error: ApiError): ErrorCode => apiErrorClasses[error._tag].code

export const toErrorResponse = (error: ApiError): ErrorResponse => ({
  error: { code: codeOf(error), message: error.message, details: error.details }
})

/** The envelope as an HTTP response; used for framework errors that never reach an endpoint. */
export const errorHttpResponse = (error: ApiError): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson(toErrorResponse(error), { status: statusOf(error) })

/**
 * The schema an endpoint declares for one error class: it encodes an instance
 * to the envelope, with the class's status, so the OpenAPI document shows
 * exactly what goes over the wire.
 */
const responseOf = <E extends ApiError, I>(cls: ApiErrorClass<E> & Schema.Schema<E, I>, description: string) =>
  Schema.transform(
    Schema.Struct({
      error: Schema.Struct({ code: Schema.Literal(cls.code), message: Schema.String, details: ErrorDetails })
    }),
    Schema.typeSchema(cls),
    {
      strict: true,
      decode: (wire) => new cls({ message: wire.error.message, details: wire.error.details }),
      encode: (error) => ({ error: { code: cls.code, message: error.message, details: error.details } })
    }
  ).annotations(HttpApiSchema.annotations({ status: cls.status, description }))

export const ValidationErrorResponse = responseOf(ValidationError, "malformed input, or a lifecycle precondition fails")
export const UnauthorizedResponse = responseOf(Unauthorized, "missing, malformed, expired or unverifiable token")
export const ForbiddenResponse = responseOf(Forbidden, "valid token without the capability the route needs")
export const NotFoundResponse = responseOf(NotFound, "unknown session, malformed session id, or another org's session")
export const ConflictResponse = responseOf(Conflict, "concurrent modification that could not be retried")
export const PayloadTooLargeResponse = responseOf(PayloadTooLarge, "body over the limit (64 KiB)")
export const NotImplementedResponse = responseOf(NotImplemented, "the running engine cannot do this")
export const UnavailableResponse = responseOf(Unavailable, "store or engine unreachable; safe to retry")
export const InternalErrorResponse = responseOf(InternalError, "a bug; the message is generic")

// ---------------------------------------------------------------------------
// Client mistakes found while reading a request

export const invalidJson = (): ValidationError =>
  new ValidationError({ message: "the request body is not valid JSON", details: {} })

interface Issue {
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string
}

/** An error names at most this many issues… */
export const ISSUES_LISTED = 10
/** …and quotes at most this many characters of each field path and message (they echo the input). */
export const ISSUE_TEXT_LIMIT = 200

/** At most `limit` UTF-16 units, never ending in half a surrogate pair. */
const clipped = (text: string, limit: number): string => {
  if (text.length <= limit) return text
  const cut = text.slice(0, limit - 1)
  const last = cut.charCodeAt(cut.length - 1)
  return `${last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut}…`
}

/**
 * `details.issues` names each failing field by its path (`phone`, `pageSize`, `name`);
 * `details.field` is the first of them, the same shape as a domain-level rejection of a field.
 * Both are bounded: a schema's message quotes the value it refused, which may be most of the body.
 */
export const validationErrorFromIssues = (issues: ReadonlyArray<Issue>): ValidationError => {
  const listed = issues.slice(0, ISSUES_LISTED).map((issue) => ({
    field: clipped(issue.path.map(String).join("."), ISSUE_TEXT_LIMIT),
    message: clipped(issue.message, ISSUE_TEXT_LIMIT)
  }))
  const first = listed[0]
  if (first === undefined) return new ValidationError({ message: "invalid request", details: { issues: listed } })
  const message = first.field === "" ? `invalid request: ${first.message}` : `invalid request: ${first.field}: ${first.message}`
  const field = first.field === "" ? {} : { field: first.field }
  return new ValidationError({ message, details: { ...field, issues: listed } })
}

export const validationErrorFromParseError = (error: ParseResult.ParseError): ValidationError =>
  validationErrorFromIssues(ParseResult.ArrayFormatter.formatErrorSync(error))

// ---------------------------------------------------------------------------
// Internal failures → the envelope, by the adapters' one error table

/** Every failure the domain, the stores, the engines and the gateway report. */
export type MappableError = GatewayFailure

/** The envelope class of each code of the table. */
interface ApiErrorOfCode {
  readonly validation_error: ValidationError
  readonly not_found: NotFound
  readonly conflict: Conflict
  readonly not_implemented: NotImplemented
  readonly unavailable: Unavailable
}

const classOfCode: { readonly [Code in keyof ApiErrorOfCode]: ApiErrorClass<ApiErrorOfCode[Code]> } = {
  validation_error: ValidationError,
  not_found: NotFound,
  conflict: Conflict,
  not_implemented: NotImplemented,
  unavailable: Unavailable
}

/** Which envelope class each internal failure becomes, so endpoints declare exactly the errors they answer. */
export type ToApiError<E extends MappableError> = ApiErrorOfCode[ErrorTable[E["_tag"]]["code"]]

export const toApiError = <E extends MappableError>(error: E): ToApiError<E> => {
  const row = rowOf(error)
  // The row's code is the one the type names: both come from the same table entry.
  return new classOfCode[row.code](row.describe(error)) as ToApiError<E>
}

/**
 * Maps the internal failures of an effect to the envelope. Server-side
 * failures (store, engine) are logged with their internal reason first; the
 * client only sees the generic message.
 */
export const mapErrors = <A, E extends MappableError, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, ToApiError<E>, R> =>
  Effect.catchAll(effect, (error: E) => {
    const reason = rowOf(error).serverSide?.(error)
    return Effect.zipRight(
      reason === undefined
        ? Effect.void
        : Effect.logWarning("request failed on the server side").pipe(Effect.annotateLogs({ error: error._tag, reason })),
      Effect.fail(toApiError(error))
    )
  })
