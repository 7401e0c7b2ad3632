import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Effect, Encoding, Either, ParseResult, Schema } from "effect"
import { SubscribableEventType, WebhookId as DomainWebhookId, WebhookUrl } from "@wa-gateway/adapters"
import { storableTextOfAtMost } from "@wa-gateway/domain"
import {
  ConflictResponse,
  ForbiddenResponse,
  InternalErrorResponse,
  NotFoundResponse,
  UnavailableResponse,
  ValidationErrorResponse
} from "../errors.js"
import { Authentication } from "../middleware/authentication.js"
import { ListSessionsParams, strictBody, Timestamp } from "../sessions/api.js"

// The webhooks resource of spec/EVENTS.md, with the conventions of the sessions one.

/** The `{webhook}` path segment: any string; a malformed id is answered 404 like an unknown one. */
export const WebhookIdParam = Schema.String.annotations({
  description: "The webhook id: `wh_` + a 26-character ULID. Another organization's webhook is not_found (404), never forbidden.",
  jsonSchema: { type: "string", pattern: "^wh_[0-9A-HJKMNP-TV-Z]{26}$", example: "wh_01HZX8K3M9Q2W4E6R8T0Y2U4I6" }
})

export const WebhookPath = Schema.Struct({ webhook: WebhookIdParam })

const EventTypes = Schema.Array(SubscribableEventType).pipe(Schema.minItems(1)).annotations({
  description: "A non-empty subset of the durable types plus `session.qr` (opt-in: it carries a pairing secret)."
})

const SessionIds = Schema.NullOr(Schema.Array(Schema.String).pipe(Schema.maxItems(1_000))).annotations({
  description: "`null`: every session of the organization, future ones included. Otherwise ids of its sessions."
})

// Kept by the store: storable text, like a session's name.
const Description = Schema.NullOr(storableTextOfAtMost(200))

export const Webhook = Schema.Struct({
  webhookId: Schema.String,
  url: Schema.String,
  events: Schema.Array(SubscribableEventType),
  sessionIds: Schema.NullOr(Schema.Array(Schema.String)),
  description: Schema.NullOr(Schema.String),
  enabled: Schema.Boolean.annotations({ description: "false after a `410 Gone` answer, or when set so" }),
  createdAt: Timestamp,
  updatedAt: Timestamp
}).annotations({ identifier: "Webhook" })

export const CreatedWebhook = Schema.Struct({
  ...Webhook.fields,
  secret: Schema.String.annotations({ description: "`whsec_` + base64 of 32 random bytes; shown only here and on `:rotateSecret`" })
}).annotations({ identifier: "CreatedWebhook" })

export const CreateWebhookRequest = Schema.Struct({
  url: WebhookUrl,
  events: Schema.optionalWith(EventTypes, { exact: true }),
  sessionIds: Schema.optionalWith(SessionIds, { exact: true }),
  description: Schema.optionalWith(Description, { exact: true })
}).annotations({ identifier: "CreateWebhookRequest", ...strictBody })

export const UpdateWebhookRequest = Schema.Struct({
  url: Schema.optionalWith(WebhookUrl, { exact: true }),
  events: Schema.optionalWith(EventTypes, { exact: true }),
  sessionIds: Schema.optionalWith(SessionIds, { exact: true }),
  description: Schema.optionalWith(Description, { exact: true }),
  enabled: Schema.optionalWith(Schema.Boolean, { exact: true })
}).annotations({ identifier: "UpdateWebhookRequest", ...strictBody })

export const RotatedSecret = Schema.Struct({ secret: Schema.String }).annotations({ identifier: "WebhookSecret" })

export const ReplayRequest = Schema.Struct({
  fromPosition: Schema.Int.pipe(Schema.nonNegative()).annotations({ description: "a log position (an event's `position`); an integer ≥ 0" })
}).annotations({ identifier: "ReplayRequest", ...strictBody })

/** Where the next page of webhooks starts: the last one of this page. */
export interface WebhookPageCursor {
  readonly createdAt: Date
  readonly webhookId: DomainWebhookId
}

/** An opaque token: base64url of fields joined by `|`, decoded by `fields` (a token of another list does not decode). */
const opaqueToken = <A, I extends Record<string, unknown>>(
  identifier: string,
  names: ReadonlyArray<keyof I & string>,
  fields: Schema.Schema<A, I>,
  encodeParts: (cursor: A) => ReadonlyArray<string>
): Schema.Schema<A, string> =>
  Schema.transformOrFail(Schema.String, Schema.typeSchema(fields), {
    strict: true,
    decode: (token, _, ast) => {
      const text = Encoding.decodeBase64UrlString(token)
      const parts = Either.isRight(text) ? text.right.split("|") : []
      const invalid = new ParseResult.Type(ast, token, "not a page token returned by this API")
      if (parts.length !== names.length) return ParseResult.fail(invalid)
      return ParseResult.decodeUnknown(fields)(Object.fromEntries(names.map((name, i) => [name, parts[i]]))).pipe(
        Effect.mapError(() => invalid)
      )
    },
    encode: (cursor) => ParseResult.succeed(Encoding.encodeBase64Url(encodeParts(cursor).join("|")))
  }).annotations({ identifier, jsonSchema: { type: "string", description: "opaque; from `nextPageToken`" } })

export const WebhookPageToken = opaqueToken(
  "WebhookPageToken",
  ["createdAt", "webhookId"],
  Schema.Struct({ createdAt: Schema.DateFromString, webhookId: DomainWebhookId }),
  (cursor) => [cursor.createdAt.toISOString(), cursor.webhookId]
)

/** Deliveries page by their sequence in the outbox; the `d` keeps a webhook token from decoding as one. */
export const DeliveryPageToken = opaqueToken(
  "DeliveryPageToken",
  ["kind", "sequence"],
  Schema.Struct({ kind: Schema.Literal("d"), sequence: Schema.BigInt }),
  (cursor) => [cursor.kind, cursor.sequence.toString()]
)

const { pageSize } = ListSessionsParams.fields

export const ListWebhooksParams = Schema.Struct({
  pageSize,
  pageToken: Schema.optionalWith(WebhookPageToken, { exact: true })
})

export const WebhookList = Schema.Struct({
  webhooks: Schema.Array(Webhook),
  nextPageToken: Schema.NullOr(WebhookPageToken).annotations({ description: "null on the last page" })
}).annotations({ identifier: "WebhookList" })

export const DeliveryStatusParam = Schema.Literal("pending", "succeeded", "failed")

export const ListDeliveriesParams = Schema.Struct({
  status: Schema.optionalWith(DeliveryStatusParam, { exact: true }),
  pageSize,
  pageToken: Schema.optionalWith(DeliveryPageToken, { exact: true })
})

export const Delivery = Schema.Struct({
  deliveryId: Schema.String,
  eventType: Schema.String,
  position: Schema.NullOr(Schema.Int).annotations({ description: "the log position of a session event; null for connection changes and tests" }),
  status: DeliveryStatusParam,
  attempts: Schema.Int,
  lastStatusCode: Schema.NullOr(Schema.Int),
  lastError: Schema.NullOr(Schema.String),
  nextAttemptAt: Schema.NullOr(Timestamp).annotations({ description: "when the next attempt is due; null once finished" }),
  createdAt: Timestamp,
  updatedAt: Timestamp
}).annotations({ identifier: "WebhookDelivery" })

export const DeliveryList = Schema.Struct({
  deliveries: Schema.Array(Delivery),
  nextPageToken: Schema.NullOr(DeliveryPageToken).annotations({ description: "null on the last page" })
}).annotations({ identifier: "WebhookDeliveryList" })

export class WebhooksApi extends HttpApiGroup.make("webhooks")
  .add(
    HttpApiEndpoint.post("create", "/webhooks")
      .setPayload(CreateWebhookRequest)
      .addSuccess(CreatedWebhook, { status: 201 })
      .addError(ValidationErrorResponse)
      .annotate(OpenApi.Summary, "Subscribe a URL to lifecycle events")
      .annotate(
        OpenApi.Description,
        "Requires `manage`. `events` defaults to every durable type; `sessionIds` (default null: every session) must name sessions of your organization. " +
          "The answer carries the signing `secret`, shown only here and on `:rotateSecret`. Deliveries are signed Standard Webhooks " +
          "(`webhook-id`, `webhook-timestamp`, `webhook-signature`). A new subscription receives what happens after it was created."
      )
  )
  .add(
    HttpApiEndpoint.get("list", "/webhooks")
      .setUrlParams(ListWebhooksParams)
      .addSuccess(WebhookList)
      .addError(ValidationErrorResponse)
      .annotate(OpenApi.Summary, "List your organization's webhooks")
      .annotate(OpenApi.Description, "Newest first, without secrets. Requires `read`.")
  )
  .add(
    HttpApiEndpoint.get("get", "/webhooks/:webhook")
      .setPath(WebhookPath)
      .addSuccess(Webhook)
      .addError(NotFoundResponse)
      .annotate(OpenApi.Summary, "Get a webhook")
      .annotate(OpenApi.Description, "Without its secret. Requires `read`.")
  )
  .add(
    HttpApiEndpoint.patch("update", "/webhooks/:webhook")
      .setPath(WebhookPath)
      .setPayload(UpdateWebhookRequest)
      .addSuccess(Webhook)
      .addError(ValidationErrorResponse)
      .addError(NotFoundResponse)
      .annotate(OpenApi.Summary, "Change a webhook")
      .annotate(OpenApi.Description, "Any of `url`, `events`, `sessionIds`, `description`, `enabled`. Requires `manage`.")
  )
  .add(
    HttpApiEndpoint.del("delete", "/webhooks/:webhook")
      .setPath(WebhookPath)
      .addSuccess(HttpApiSchema.NoContent)
      .addError(NotFoundResponse)
      .annotate(OpenApi.Summary, "Delete a webhook")
      .annotate(OpenApi.Description, "With its deliveries. Requires `manage`. Returns 204 No Content.")
  )
  .add(
    HttpApiEndpoint.post("rotateSecret", "/webhooks/:webhook([^:]+)::rotateSecret")
      .setPath(WebhookPath)
      .addSuccess(RotatedSecret)
      .addError(NotFoundResponse)
      .annotate(OpenApi.Summary, "Rotate the signing secret")
      .annotate(
        OpenApi.Description,
        "Returns the new secret. For 24 h the old one signs too: deliveries carry both signatures, space-separated. Requires `manage`."
      )
  )
  .add(
    HttpApiEndpoint.post("test", "/webhooks/:webhook([^:]+)::test")
      .setPath(WebhookPath)
      .addSuccess(HttpApiSchema.Empty(202))
      .addError(NotFoundResponse)
      .annotate(OpenApi.Summary, "Send a test event")
      .annotate(OpenApi.Description, "A `webhook.test` event is delivered, whatever the webhook's filter. Requires `manage`. Returns 202.")
  )
  .add(
    HttpApiEndpoint.get("deliveries", "/webhooks/:webhook/deliveries")
      .setPath(WebhookPath)
      .setUrlParams(ListDeliveriesParams)
      .addSuccess(DeliveryList)
      .addError(ValidationErrorResponse)
      .addError(NotFoundResponse)
      .annotate(OpenApi.Summary, "The webhook's deliveries")
      .annotate(OpenApi.Description, "Newest first; `status` filters. A failed delivery stays here and can be replayed. Requires `read`.")
  )
  .add(
    HttpApiEndpoint.post("replay", "/webhooks/:webhook([^:]+)::replay")
      .setPath(WebhookPath)
      .setPayload(ReplayRequest)
      .addSuccess(HttpApiSchema.Empty(202))
      .addError(ValidationErrorResponse)
      .addError(NotFoundResponse)
      .annotate(OpenApi.Summary, "Deliver past events again")
      .annotate(
        OpenApi.Description,
        "Every session event matching the webhook's filter at or after `fromPosition` is delivered again, as a new delivery with the same `webhook-id`. " +
          "Connection events are not replayed. Requires `manage`. Returns 202."
      )
  )
  .addError(ForbiddenResponse)
  .addError(ConflictResponse)
  .addError(UnavailableResponse)
  .addError(InternalErrorResponse)
  .middleware(Authentication)
  .prefix("/api/v1")
  .annotate(OpenApi.Title, "webhooks")
  .annotate(OpenApi.Description, "Signed deliveries of the session lifecycle to your URLs (spec/EVENTS.md).")
{}
