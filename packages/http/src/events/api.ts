import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import {
  ForbiddenResponse,
  InternalErrorResponse,
  UnavailableResponse,
  ValidationErrorResponse
} from "../errors.js"
import { Authentication } from "../middleware/authentication.js"

// spec/EVENTS.md "Server-sent events": the org's lifecycle events as a stream.

/** Documented here; read by the handler, which names a bad value's field in the 400. */
export const StreamParams = Schema.Struct({
  sessionId: Schema.optionalWith(Schema.Union(Schema.String, Schema.Array(Schema.String)), { exact: true }).annotations({
    description: "only these sessions (repeat the parameter for several)"
  }),
  types: Schema.optionalWith(Schema.String, { exact: true }).annotations({
    description: "comma-separated event types, e.g. `session.paired,session.disconnected`; `session.qr` only with `manage`"
  }),
  after: Schema.optionalWith(Schema.String, { exact: true }).annotations({
    description: "resume after this log position (a non-negative integer); the `Last-Event-ID` header does the same"
  })
})

export const EventStreamBody = Schema.String.pipe(HttpApiSchema.withEncoding({ kind: "Text", contentType: "text/event-stream" })).annotations({
  description: "Frames `id: <position>`, `event: <type>`, `data: <payload JSON>`; connection and QR frames have no `id:`. A comment every 15 s."
})

export class EventsApi extends HttpApiGroup.make("events")
  .add(
    // The custom method needs its colon escaped (DESIGN §9).
    HttpApiEndpoint.get("stream", "/events::stream")
      .setUrlParams(StreamParams)
      .addSuccess(EventStreamBody)
      .addError(ValidationErrorResponse)
      .annotate(OpenApi.Summary, "Stream lifecycle events (server-sent events)")
      .annotate(
        OpenApi.Description,
        "Requires `read`. `text/event-stream` of your organization's events, the same payloads as webhooks. Reconnect with " +
          "`Last-Event-ID` (or `?after=`) to get every session event after that position from the log, none skipped or repeated, " +
          "then live ones; without either the stream starts with what happens next. `session.connected`, `session.disconnected` " +
          "and `session.qr` are live only. `session.qr` only when named in `types` and only to a caller with `manage`."
      )
  )
  .addError(ForbiddenResponse)
  .addError(UnavailableResponse)
  .addError(InternalErrorResponse)
  .middleware(Authentication)
  .prefix("/api/v1")
  .annotate(OpenApi.Title, "events")
  .annotate(OpenApi.Description, "The lifecycle events of your organization's sessions as server-sent events.")
{}
