import { HttpApiBuilder, type HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Option, Schema } from "effect"
import { Gateway, type SessionView } from "@wa-gateway/adapters"
import { SessionEvent, SessionId, type StoredEvent } from "@wa-gateway/domain"
import QRCode from "qrcode"
import { GatewayApi } from "../api.js"
import { CurrentPrincipal } from "../auth/principal.js"
import { mapErrors, NotFound, invalidJson, validationErrorFromParseError } from "../errors.js"
import { requireCapability } from "../middleware/capability.js"
import { CreateSessionRequest, DEFAULT_PAGE_SIZE, type Session } from "./api.js"
import { sessionsPolicy } from "./policy.js"

export const toSession = (view: SessionView): Session => ({
  sessionId: view.sessionId,
  name: view.name,
  status: view.status,
  connected: view.connected,
  phoneNumber: view.phoneNumber,
  waJid: view.waJid,
  waLid: view.waLid,
  pushName: view.pushName,
  createdAt: view.createdAt,
  updatedAt: view.updatedAt,
  version: view.version
})

const encodeEvent = Schema.encodeSync(SessionEvent)

const toEventView = (stored: StoredEvent) => {
  const { _tag, ...data } = encodeEvent(stored.event)
  return {
    // A JSON number compares as clients expect; 2^53 events is beyond any log we will hold.
    position: Number(stored.position),
    version: stored.version,
    type: _tag,
    occurredAt: stored.occurredAt,
    data
  }
}

const decodeSessionId = Schema.decodeUnknownOption(SessionId)

/** A malformed id names no session: 404, like an unknown one (API.md). */
export const parseSessionId = (raw: string): Effect.Effect<SessionId, NotFound> =>
  Option.match(decodeSessionId(raw), {
    onNone: () => Effect.fail(new NotFound({ message: "session not found", details: {} })),
    onSome: Effect.succeed
  })

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

export const SessionsLive = HttpApiBuilder.group(GatewayApi, "sessions", (handlers) =>
  Effect.gen(function* () {
    const gateway = yield* Gateway

    /** Capability first, then the caller's org for the gateway call. */
    const authorized = (route: keyof typeof sessionsPolicy) =>
      Effect.zipRight(requireCapability(sessionsPolicy[route]), Effect.map(CurrentPrincipal, (p) => p.orgId))

    return handlers
      .handleRaw("create", ({ request }) =>
        Effect.gen(function* () {
          const orgId = yield* authorized("create")
          const body = yield* readOptionalBody(CreateSessionRequest, request)
          const view = yield* mapErrors(gateway.create(orgId, { name: body.name ?? "" }).pipe(
            Effect.catchTag("SessionNotFound", Effect.die)
          ))
          return toSession(view)
        }))
      .handle("list", ({ urlParams }) =>
        Effect.gen(function* () {
          const orgId = yield* authorized("list")
          const page = yield* mapErrors(gateway.list(orgId, {
            pageSize: urlParams.pageSize ?? DEFAULT_PAGE_SIZE,
            after: urlParams.pageToken ?? null
          }).pipe(Effect.catchTag("SessionNotFound", Effect.die)))
          const last = page.sessions.at(-1)
          return {
            sessions: page.sessions.map(toSession),
            nextPageToken: page.hasMore && last !== undefined
              ? { createdAt: last.createdAt, sessionId: last.sessionId }
              : null
          }
        }))
      .handle("get", ({ path }) =>
        Effect.gen(function* () {
          const orgId = yield* authorized("get")
          const sessionId = yield* parseSessionId(path.session)
          return toSession(yield* mapErrors(gateway.get(orgId, sessionId)))
        }))
      .handle("qr", ({ path, request }) =>
        Effect.gen(function* () {
          const orgId = yield* authorized("qr")
          const sessionId = yield* parseSessionId(path.session)
          const challenge = yield* mapErrors(gateway.qr(orgId, sessionId))
          if (!wantsPng(request)) return challenge
          const png = yield* qrPng(challenge.qr)
          return HttpServerResponse.uint8Array(png, {
            contentType: "image/png",
            headers: { "cache-control": "no-store", "x-qr-expires-at": challenge.expiresAt.toISOString() }
          })
        }))
      .handle("requestPairingCode", ({ path, payload }) =>
        Effect.gen(function* () {
          const orgId = yield* authorized("requestPairingCode")
          const sessionId = yield* parseSessionId(path.session)
          return yield* mapErrors(gateway.requestPairingCode(orgId, sessionId, payload.phone))
        }))
      .handle("logout", ({ path }) =>
        Effect.gen(function* () {
          const orgId = yield* authorized("logout")
          const sessionId = yield* parseSessionId(path.session)
          return toSession(yield* mapErrors(gateway.logout(orgId, sessionId)))
        }))
      .handle("delete", ({ path }) =>
        Effect.gen(function* () {
          const orgId = yield* authorized("delete")
          const sessionId = yield* parseSessionId(path.session)
          yield* mapErrors(gateway.delete(orgId, sessionId))
        }))
      .handle("me", ({ path }) =>
        Effect.gen(function* () {
          const orgId = yield* authorized("me")
          const sessionId = yield* parseSessionId(path.session)
          const view = yield* mapErrors(gateway.me(orgId, sessionId))
          // The gateway answers SessionNotFound unless paired; identity is then always set.
          if (view.phoneNumber === null || view.waJid === null) {
            return yield* Effect.fail(new NotFound({ message: "session not found", details: {} }))
          }
          return {
            connected: view.connected,
            phoneNumber: view.phoneNumber,
            sessionId: view.sessionId,
            status: view.status,
            waJid: view.waJid,
            waLid: view.waLid,
            pushName: view.pushName
          }
        }))
      .handle("events", ({ path }) =>
        Effect.gen(function* () {
          const orgId = yield* authorized("events")
          const sessionId = yield* parseSessionId(path.session)
          const events = yield* mapErrors(gateway.events(orgId, sessionId))
          return { events: events.map(toEventView) }
        }))
  }))
