import { HttpApiBuilder, type HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Schema } from "effect"
import { Gateway, toSessionEventEntry } from "@wa-gateway/adapters"
import QRCode from "qrcode"
import { SimulatorGatewayApi } from "../api.js"
import { asCaller } from "../auth/command-metadata.js"
import { CurrentPrincipal } from "../auth/principal.js"
import { mapErrors, invalidJson, validationErrorFromParseError } from "../errors.js"
import { requireCapability } from "../middleware/capability.js"
import { CreateSessionRequest } from "./api.js"
import { sessionsPolicy } from "./policy.js"
import { makeSessionReads } from "./reads.js"
import { parseSessionId } from "./session-id.js"
import { okJson, toSession } from "./session-wire.js"

/**
 * A route whose body is optional (`POST /sessions`, `:dropConnection`): none
 * (or an empty one) means `{}`, so `curl -X POST …/sessions` just works.
 * Anything present must be a JSON object with only the known fields.
 */
export const readOptionalBody = <A, I>(schema: Schema.Schema<A, I>, request: HttpServerRequest.HttpServerRequest) =>
  Effect.gen(function* () {
    // Body read failures (too large, aborted) are answered by the envelope middleware, in one place.
    const text = yield* Effect.orDie(request.text)
    const json = text.trim() === ""
      ? {}
      : yield* Effect.try({ try: (): unknown => JSON.parse(text), catch: () => invalidJson() })
    return yield* Schema.decodeUnknown(schema)(json).pipe(Effect.mapError(validationErrorFromParseError))
  })

const wantsPng = (request: HttpServerRequest.HttpServerRequest): boolean =>
  (request.headers["accept"] ?? "").toLowerCase().split(",").some((type) => type.trim().startsWith("image/png"))

const qrPng = (qr: string) =>
  Effect.promise(() => QRCode.toBuffer(qr, { type: "png", errorCorrectionLevel: "M", margin: 2, width: 300 }))

export const SessionsLive = HttpApiBuilder.group(SimulatorGatewayApi, "sessions", (handlers) =>
  Effect.gen(function* () {
    const gateway = yield* Gateway
    const reads = yield* makeSessionReads

    /** Capability first, then the caller's org for the gateway call. */
    const authorized = (route: keyof typeof sessionsPolicy) =>
      Effect.zipRight(requireCapability(sessionsPolicy[route]), Effect.map(CurrentPrincipal, (p) => p.orgId))

    return handlers
      .handleRaw("create", ({ request }) =>
        asCaller(Effect.gen(function* () {
          const orgId = yield* authorized("create")
          const body = yield* readOptionalBody(CreateSessionRequest, request)
          return toSession(yield* mapErrors(gateway.create(orgId, { name: body.name ?? "" })))
        })))
      .handle("list", ({ urlParams }) => Effect.flatMap(CurrentPrincipal, (principal) => Effect.map(reads.list(principal, urlParams), okJson)))
      .handle("get", ({ path }) => Effect.flatMap(CurrentPrincipal, (principal) => Effect.map(reads.get(principal, path.session), okJson)))
      .handle("qr", ({ path, request }) =>
        asCaller(Effect.gen(function* () {
          const orgId = yield* authorized("qr")
          const sessionId = yield* parseSessionId(path.session)
          const challenge = yield* mapErrors(gateway.qr(orgId, sessionId))
          if (!wantsPng(request)) return challenge
          const png = yield* qrPng(challenge.qr)
          return HttpServerResponse.uint8Array(png, {
            contentType: "image/png",
            headers: { "cache-control": "no-store", "x-qr-expires-at": challenge.expiresAt.toISOString() }
          })
        })))
      .handle("requestPairingCode", ({ path, payload }) =>
        asCaller(Effect.gen(function* () {
          const orgId = yield* authorized("requestPairingCode")
          const sessionId = yield* parseSessionId(path.session)
          return yield* mapErrors(gateway.requestPairingCode(orgId, sessionId, payload.phone))
        })))
      .handle("logout", ({ path }) =>
        asCaller(Effect.gen(function* () {
          const orgId = yield* authorized("logout")
          const sessionId = yield* parseSessionId(path.session)
          return toSession(yield* mapErrors(gateway.logout(orgId, sessionId)))
        })))
      .handle("delete", ({ path }) =>
        asCaller(Effect.gen(function* () {
          const orgId = yield* authorized("delete")
          const sessionId = yield* parseSessionId(path.session)
          yield* mapErrors(gateway.delete(orgId, sessionId))
        })))
      .handle("me", ({ path }) =>
        Effect.gen(function* () {
          const orgId = yield* authorized("me")
          const sessionId = yield* parseSessionId(path.session)
          const view = yield* mapErrors(gateway.me(orgId, sessionId))
          return {
            connected: view.connected,
            phoneNumber: view.identity.phoneNumber,
            sessionId: view.sessionId,
            status: view.status,
            waJid: view.identity.waJid,
            waLid: view.identity.waLid,
            pushName: view.identity.pushName
          }
        }))
      .handle("events", ({ path }) =>
        Effect.gen(function* () {
          const orgId = yield* authorized("events")
          const sessionId = yield* parseSessionId(path.session)
          const events = yield* mapErrors(gateway.events(orgId, sessionId))
          return { events: events.map(toSessionEventEntry) }
        }))
  }))
