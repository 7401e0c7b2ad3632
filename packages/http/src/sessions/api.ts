import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Effect, Encoding, Either, ParseResult, Schema } from "effect"
import {
  isStorableDate,
  PAGE_SIZE,
  PageCursor,
  PageSize,
  PHONE_NUMBER_PATTERN,
  SessionEventTypeSchema,
  SessionName
} from "@wa-gateway/domain"
import {
  ConflictResponse,
  ForbiddenResponse,
  InternalErrorResponse,
  NotFoundResponse,
  NotImplementedResponse,
  UnavailableResponse,
  ValidationErrorResponse
} from "../errors.js"
import { Authentication } from "../middleware/authentication.js"
import { optionalRequestBody, withPngResponse } from "../openapi.js"

// The sessions resource of spec/API.md. These schemas are the contract: the
// OpenAPI document is generated from them.

/** An ISO-8601 timestamp on the wire, a `Date` in the handlers. */
export const Timestamp = Schema.Date.annotations({
  jsonSchema: { type: "string", format: "date-time" }
})

/**
 * The `{session}` path segment. Deliberately any string: a malformed id is
 * answered 404 `not_found` by the handlers (API.md), not 400.
 */
export const SessionIdParam = Schema.String.annotations({
  description: "The session id: `sess_` + a 26-character ULID. A session of another organization is not_found (404), never forbidden.",
  jsonSchema: { type: "string", pattern: "^sess_[0-9A-HJKMNP-TV-Z]{26}$", example: "sess_01HZX8K3M9Q2W4E6R8T0Y2U4I6" }
})

export const SessionPath = Schema.Struct({ session: SessionIdParam })

export const SessionStatus = Schema.Literal("unpaired", "pairing", "paired", "logged_out")

export const Session = Schema.Struct({
  sessionId: Schema.String,
  name: Schema.String,
  status: SessionStatus,
  connected: Schema.Boolean.annotations({ description: "runtime socket state, separate from `status`" }),
  phoneNumber: Schema.NullOr(Schema.String),
  waJid: Schema.NullOr(Schema.String),
  waLid: Schema.NullOr(Schema.String),
  pushName: Schema.NullOr(Schema.String),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  version: Schema.Int
}).annotations({ identifier: "Session", description: "Identity fields are null until paired." })
export type Session = typeof Session.Type

/**
 * Unknown fields in a body are a client mistake: 400, not silently dropped.
 * A body that is not an object is named as such, not by the schema's identifier.
 */
export const strictBody = {
  parseOptions: { onExcessProperty: "error" },
  message: () => "Expected the body to be a JSON object"
} as const

export const CreateSessionRequest = Schema.Struct({
  name: Schema.optionalWith(SessionName, { exact: true })
}).annotations({ identifier: "CreateSessionRequest", ...strictBody })

/**
 * Exactly what `toISOString` wrote for a date the store can hold: a token
 * this API issued. A date that is impossible (`2020-13-45`), rolled over
 * (`2020-02-30`) or beyond the store's range is no such token.
 */
const CursorTimestamp = Schema.String.pipe(
  Schema.filter((text) => {
    const date = new Date(text)
    return isStorableDate(date) && date.toISOString() === text
  }),
  Schema.compose(Schema.DateFromString)
)

const CursorFields = Schema.Struct({ ...PageCursor.fields, createdAt: CursorTimestamp })

/** Opaque to clients: base64url of `<createdAt ISO>|<sessionId>`. */
export const PageToken: Schema.Schema<PageCursor, string> = Schema.transformOrFail(
  Schema.String,
  Schema.typeSchema(CursorFields),
  {
    strict: true,
    decode: (token, _, ast) => {
      const text = Encoding.decodeBase64UrlString(token)
      const parts = Either.isRight(text) ? text.right.split("|") : []
      const invalid = new ParseResult.Type(ast, token, "not a page token returned by this API")
      if (parts.length !== 2) return ParseResult.fail(invalid)
      return ParseResult.decodeUnknown(CursorFields)({ createdAt: parts[0], sessionId: parts[1] }).pipe(
        Effect.mapError(() => invalid)
      )
    },
    encode: (cursor) =>
      ParseResult.succeed(Encoding.encodeBase64Url(`${cursor.createdAt.toISOString()}|${cursor.sessionId}`))
  }
).annotations({ identifier: "PageToken", jsonSchema: { type: "string", description: "opaque; from `nextPageToken`" } })

export const DEFAULT_PAGE_SIZE = PAGE_SIZE.default

export const ListSessionsParams = Schema.Struct({
  pageSize: Schema.optionalWith(
    // Decimal digits only: `Number()` would also read "1e1", " 1" or "0x10".
    Schema.compose(
      Schema.String.pipe(Schema.pattern(/^[0-9]+$/, { message: () => `expected an integer from ${PAGE_SIZE.min} to ${PAGE_SIZE.max}` })),
      Schema.NumberFromString
    ).pipe(Schema.compose(PageSize)).annotations({
      jsonSchema: { type: "integer", minimum: PAGE_SIZE.min, maximum: PAGE_SIZE.max, default: DEFAULT_PAGE_SIZE }
    }),
    { exact: true }
  ),
  pageToken: Schema.optionalWith(PageToken, { exact: true })
})

export const SessionList = Schema.Struct({
  sessions: Schema.Array(Session),
  nextPageToken: Schema.NullOr(PageToken).annotations({ description: "null on the last page" })
}).annotations({ identifier: "SessionList" })

export const QrCode = Schema.Struct({
  qr: Schema.String.annotations({ description: "the QR payload to render; rotates every ~20 s" }),
  expiresAt: Timestamp
}).annotations({ identifier: "QrCode" })

/** A phone as the API takes it: international format, digits only, no leading +, 8–15 digits. */
export const PhoneDigits = Schema.String.pipe(Schema.pattern(PHONE_NUMBER_PATTERN))

export const PairingCodeRequest = Schema.Struct({
  phone: PhoneDigits.annotations({
    description: "international format, digits only, no leading +, 8–15 digits",
    examples: ["628123456789"]
  })
}).annotations({ identifier: "PairingCodeRequest", ...strictBody })

export const PairingCode = Schema.Struct({
  code: Schema.String.annotations({ examples: ["ABCD-1234"] }),
  expiresAt: Timestamp
}).annotations({ identifier: "PairingCode" })

/** The seed's `/me` body, exactly these fields. */
export const Me = Schema.Struct({
  connected: Schema.Boolean,
  phoneNumber: Schema.String,
  sessionId: Schema.String,
  status: SessionStatus,
  waJid: Schema.String,
  waLid: Schema.NullOr(Schema.String),
  pushName: Schema.NullOr(Schema.String)
}).annotations({ identifier: "Me" })


export const SessionEventView = Schema.Struct({
  position: Schema.Int.annotations({
    description: "position in the global log: increasing, with gaps allowed"
  }),
  version: Schema.Int,
  type: SessionEventTypeSchema,
  occurredAt: Timestamp,
  data: Schema.Record({ key: Schema.String, value: Schema.Unknown })
}).annotations({ identifier: "SessionEvent" })

export const SessionEvents = Schema.Struct({ events: Schema.Array(SessionEventView) }).annotations({
  identifier: "SessionEvents"
})

export class SessionsApi extends HttpApiGroup.make("sessions")
  .add(
    HttpApiEndpoint.post("create", "/sessions")
      .setPayload(CreateSessionRequest)
      .addSuccess(Session, { status: 201 })
      .addError(ValidationErrorResponse)
      .annotate(OpenApi.Summary, "Create a session")
      .annotate(OpenApi.Transform, optionalRequestBody)
      .annotate(
        OpenApi.Description,
        "Creates an `unpaired` session. Requires `manage`. The body is optional: no body (or an empty one) is `{}`. Unknown fields are 400."
      )
  )
  .add(
    HttpApiEndpoint.get("list", "/sessions")
      .setUrlParams(ListSessionsParams)
      .addSuccess(SessionList)
      .addError(ValidationErrorResponse)
      .annotate(OpenApi.Summary, "List the sessions of your organization")
      .annotate(
        OpenApi.Description,
        `Newest first. Requires \`read\`. \`pageSize\` ${PAGE_SIZE.min}..${PAGE_SIZE.max} (default ${DEFAULT_PAGE_SIZE}); pass \`nextPageToken\` as \`pageToken\` for the next page.`
      )
  )
  .add(
    HttpApiEndpoint.get("get", "/sessions/:session")
      .setPath(SessionPath)
      .addSuccess(Session)
      .addError(NotFoundResponse)
      .annotate(OpenApi.Summary, "Get a session")
      .annotate(OpenApi.Description, "Requires `read`.")
  )
  .add(
    HttpApiEndpoint.get("qr", "/sessions/:session/qr")
      .setPath(SessionPath)
      .addSuccess(QrCode)
      .addError(ValidationErrorResponse)
      .addError(NotFoundResponse)
      .addError(NotImplementedResponse)
      .annotate(OpenApi.Summary, "Get the pairing QR code")
      .annotate(
        OpenApi.Description,
        "Starts QR pairing when `unpaired` or `logged_out`; returns the current QR while `pairing`. " +
          "`paired` → 400 validation_error. With `Accept: image/png` the QR is returned as a PNG image. Requires `manage`."
      )
      .annotate(OpenApi.Transform, withPngResponse)
  )
  .add(
    // A regex parameter and an escaped colon: `:session::logout` would be one parameter (DESIGN §9).
    HttpApiEndpoint.post("requestPairingCode", "/sessions/:session([^:]+)::requestPairingCode")
      .setPath(SessionPath)
      .setPayload(PairingCodeRequest)
      .addSuccess(PairingCode)
      .addError(ValidationErrorResponse)
      .addError(NotFoundResponse)
      .addError(NotImplementedResponse)
      .annotate(OpenApi.Summary, "Request a phone pairing code")
      .annotate(
        OpenApi.Description,
        "Requests a pairing code to attach a number without scanning a QR. Requires `manage`. " +
          "`phone`: international format, digits only, no leading + (e.g. `628123456789`). " +
          "Returns a short code such as `ABCD-1234` to enter in WhatsApp under Settings → Linked devices → Link a device → " +
          "Link with phone number instead. The session must not be paired (400 validation_error otherwise)."
      )
  )
  .add(
    HttpApiEndpoint.post("logout", "/sessions/:session([^:]+)::logout")
      .setPath(SessionPath)
      .addSuccess(Session)
      .addError(ValidationErrorResponse)
      .addError(NotFoundResponse)
      .addError(NotImplementedResponse)
      .annotate(OpenApi.Summary, "Log out (unlink the device on WhatsApp)")
      .annotate(OpenApi.Description, "Status becomes `logged_out`. Not paired → 400 validation_error. Requires `manage`.")
  )
  .add(
    HttpApiEndpoint.del("delete", "/sessions/:session")
      .setPath(SessionPath)
      .addSuccess(HttpApiSchema.NoContent)
      .addError(NotFoundResponse)
      .addError(NotImplementedResponse)
      .annotate(OpenApi.Summary, "Delete a session")
      .annotate(
        OpenApi.Description,
        "Permanently deletes a session and its stored data (auth keys and personal data). Requires `manage`. " +
          "Destructive and irreversible. A paired session's device is unlinked first, as far as WhatsApp can be reached within 10 s; " +
          "the delete never waits longer or fails for it (log out first to be sure the device is unlinked). " +
          "Deleting a session that does not exist (or belongs to another org) returns not_found (404). Returns 204 No Content."
      )
  )
  .add(
    HttpApiEndpoint.get("me", "/sessions/:session/me")
      .setPath(SessionPath)
      .addSuccess(Me)
      .addError(NotFoundResponse)
      .addError(NotImplementedResponse)
      .annotate(OpenApi.Summary, "Get the connected account's own identity")
      .annotate(
        OpenApi.Description,
        "Returns the WhatsApp identity of the number attached to this session: its JID, linked-device id, push name, " +
          "and phone number. Requires `manage`. The session must be paired; if no number is attached yet, this returns " +
          "not_found (404)."
      )
  )
  .add(
    HttpApiEndpoint.get("events", "/sessions/:session/events")
      .setPath(SessionPath)
      .addSuccess(SessionEvents)
      .addError(NotFoundResponse)
      .annotate(OpenApi.Summary, "The session's event history")
      .annotate(OpenApi.Description, "Oldest first. Requires `read`.")
  )
  // Errors every route of the group can answer.
  .addError(ForbiddenResponse)
  .addError(ConflictResponse)
  .addError(UnavailableResponse)
  .addError(InternalErrorResponse)
  .middleware(Authentication)
  .prefix("/api/v1")
  .annotate(OpenApi.Title, "sessions")
  .annotate(OpenApi.Description, "A session is one attached (or to-be-attached) WhatsApp number, scoped to one organization.")
{}
