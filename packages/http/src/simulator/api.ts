import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { DEFAULT_RECONNECT_AFTER_MS, ReconnectAfterMs } from "@wa-gateway/adapters"
import { PushName } from "@wa-gateway/domain"
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
import { optionalRequestBody } from "../openapi.js"
import { PhoneDigits, Session, SessionPath, strictBody } from "../sessions/api.js"

// The /simulator/v1 routes of spec/API.md: a simulated phone acting on a
// session, for the simulator engine. On any other engine they answer 501.

const PushNameField = PushName.annotations({
  description: "the name the phone's owner set in WhatsApp"
})

export const ScanRequest = Schema.Struct({
  phoneNumber: PhoneDigits.annotations({
    description: "the phone that scans: international format, digits only, no leading +, 8–15 digits",
    examples: ["628123456789"]
  }),
  pushName: Schema.optionalWith(PushNameField, { exact: true })
}).annotations({ identifier: "SimulatorScanRequest", ...strictBody })

export const EnterCodeRequest = Schema.Struct({
  code: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(20)).annotations({
    description: "the pairing code as shown (`ABCD-1234`); case and the dash do not matter",
    examples: ["ABCD-1234"]
  }),
  pushName: Schema.optionalWith(PushNameField, { exact: true })
}).annotations({ identifier: "SimulatorEnterCodeRequest", ...strictBody })

export const DropConnectionRequest = Schema.Struct({
  reconnectAfterMs: Schema.optionalWith(
    ReconnectAfterMs.annotations({
      description: `milliseconds until the engine reconnects (default ${DEFAULT_RECONNECT_AFTER_MS})`
    }),
    { exact: true }
  )
}).annotations({ identifier: "SimulatorDropConnectionRequest", ...strictBody })

export class SimulatorApi extends HttpApiGroup.make("simulator")
  .add(
    // A regex parameter and an escaped colon: `:session::scan` would be one parameter (DESIGN §9).
    HttpApiEndpoint.post("scan", "/sessions/:session([^:]+)::scan")
      .setPath(SessionPath)
      .setPayload(ScanRequest)
      .addSuccess(Session)
      .addError(ValidationErrorResponse)
      .addError(NotFoundResponse)
      .addError(NotImplementedResponse)
      .annotate(OpenApi.Summary, "The phone scans the QR code")
      .annotate(
        OpenApi.Description,
        "The simulated phone scans the QR showing for the session, which becomes `paired` with that phone's number. " +
          "400 validation_error if no QR is showing. Requires `manage`."
      )
  )
  .add(
    HttpApiEndpoint.post("enterCode", "/sessions/:session([^:]+)::enterCode")
      .setPath(SessionPath)
      .setPayload(EnterCodeRequest)
      .addSuccess(Session)
      .addError(ValidationErrorResponse)
      .addError(NotFoundResponse)
      .addError(NotImplementedResponse)
      .annotate(OpenApi.Summary, "The phone enters the pairing code")
      .annotate(
        OpenApi.Description,
        "The phone the code was issued for (the `phone` of `:requestPairingCode`) enters it; the session becomes `paired`. " +
          "400 validation_error if the code is wrong or expired. Requires `manage`."
      )
  )
  .add(
    HttpApiEndpoint.post("unlink", "/sessions/:session([^:]+)::unlink")
      .setPath(SessionPath)
      .addSuccess(Session)
      .addError(ValidationErrorResponse)
      .addError(NotFoundResponse)
      .addError(NotImplementedResponse)
      .annotate(OpenApi.Summary, "The phone removes the linked device")
      .annotate(
        OpenApi.Description,
        "As if the owner removed the device under Linked devices: the session becomes `logged_out`. " +
          "400 validation_error if no device is linked. Requires `manage`."
      )
  )
  .add(
    HttpApiEndpoint.post("dropConnection", "/sessions/:session([^:]+)::dropConnection")
      .setPath(SessionPath)
      .setPayload(DropConnectionRequest)
      .addSuccess(Session)
      .addError(ValidationErrorResponse)
      .addError(NotFoundResponse)
      .addError(NotImplementedResponse)
      .annotate(OpenApi.Transform, optionalRequestBody)
      .annotate(OpenApi.Summary, "The network drops")
      .annotate(
        OpenApi.Description,
        "The connection drops now (the response already shows `connected: false`) and the engine reconnects after " +
          `\`reconnectAfterMs\` (default ${DEFAULT_RECONNECT_AFTER_MS}). The body is optional. ` +
          "400 validation_error if no device is linked. Requires `manage`."
      )
  )
  // Errors every route of the group can answer.
  .addError(ForbiddenResponse)
  .addError(ConflictResponse)
  .addError(UnavailableResponse)
  .addError(InternalErrorResponse)
  .middleware(Authentication)
  .prefix("/simulator/v1")
  .annotate(OpenApi.Title, "simulator")
  .annotate(
    OpenApi.Description,
    "A simulated phone for the simulator engine (`WA_ENGINE=simulator`): pair, unlink and drop connections without a real phone."
  )
{}

/** Every simulator route needs `manage` (spec/API.md). */
export const simulatorCapability = "manage" as const
