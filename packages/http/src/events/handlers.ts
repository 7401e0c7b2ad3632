import { Sse } from "@effect/experimental"
import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Deferred, Duration, Effect, Option, Schema, Stream } from "effect"
import { type FeedEvent, type FeedFilter, Gateway, SubscribableEventType } from "@wa-gateway/adapters"
import { SessionId } from "@wa-gateway/domain"
import { SimulatorGatewayApi } from "../api.js"
import { CurrentPrincipal } from "../auth/principal.js"
import { ValidationError } from "../errors.js"
import { requireCapability } from "../middleware/capability.js"
import { eventsPolicy } from "./policy.js"

/** spec/EVENTS.md: a comment line every 15 s keeps proxies from closing an idle stream. */
export const HEARTBEAT_INTERVAL = Duration.seconds(15)

const POSITION = /^[0-9]{1,19}$/

const invalid = (field: string, message: string) =>
  new ValidationError({ message: `invalid request: ${field}: ${message}`, details: { field } })

const isSubscribable = Schema.is(SubscribableEventType)
const decodeSessionId = Schema.decodeUnknownOption(SessionId)

/** The filter of a request; `session.qr` is dropped for a caller without `manage` (spec/EVENTS.md). */
const filterOf = (
  params: { readonly sessionId?: string | ReadonlyArray<string>; readonly types?: string; readonly after?: string },
  lastEventId: string | undefined,
  mayShowQr: boolean
): Effect.Effect<FeedFilter, ValidationError> =>
  Effect.gen(function* () {
    // A reconnecting EventSource sends Last-Event-ID; `after` is for a client that resumes by hand.
    const [field, resume] = lastEventId !== undefined ? ["Last-Event-ID", lastEventId] : ["after", params.after]
    if (resume !== undefined && !POSITION.test(resume)) return yield* Effect.fail(invalid(field, "expected a non-negative integer"))
    const types: Array<SubscribableEventType> = []
    for (const type of params.types === undefined ? [] : params.types.split(",").map((t) => t.trim()).filter((t) => t !== "")) {
      if (!isSubscribable(type)) return yield* Effect.fail(invalid("types", `unknown event type "${type}"`))
      if (type !== "session.qr" || mayShowQr) types.push(type)
    }
    const rawIds = params.sessionId === undefined ? [] : typeof params.sessionId === "string" ? [params.sessionId] : params.sessionId
    const sessionIds: Array<SessionId> = []
    for (const raw of rawIds) {
      const id = decodeSessionId(raw)
      if (Option.isNone(id)) return yield* Effect.fail(invalid("sessionId", "expected a session id (sess_…)"))
      sessionIds.push(id.value)
    }
    return {
      ...(resume === undefined ? {} : { after: BigInt(resume) }),
      ...(params.types === undefined ? {} : { types }),
      ...(sessionIds.length === 0 ? {} : { sessionIds })
    }
  })

/** Log events carry their position as `id:`, so a reconnect resumes there; live-only ones have none. */
const frameOf = (event: FeedEvent): string =>
  Sse.encoder.write({ _tag: "Event", event: event.payload.type, id: event.position?.toString(), data: event.json })

export const EventsLive = HttpApiBuilder.group(SimulatorGatewayApi, "events", (handlers) =>
  Effect.gen(function* () {
    const gateway = yield* Gateway
    // The server waits for open responses when it stops: every stream ends once this group is released.
    const stopping = yield* Deferred.make<void>()
    yield* Effect.addFinalizer(() => Deferred.succeed(stopping, undefined))

    return handlers.handle("stream", ({ request, urlParams }) =>
      Effect.gen(function* () {
        yield* requireCapability(eventsPolicy.stream)
        const principal = yield* CurrentPrincipal
        const filter = yield* filterOf(urlParams, request.headers["last-event-id"], principal.capabilities.has(eventsPolicy.qrFrames))
        const frames = gateway.subscribe(principal.orgId, filter).pipe(
          Stream.map(frameOf),
          // Cut off (too slow) or the store gone: the stream ends; the client resumes with Last-Event-ID.
          Stream.catchAll(() => Stream.make(": stream ended; reconnect with Last-Event-ID\n\n"))
        )
        const heartbeats = Stream.tick(HEARTBEAT_INTERVAL).pipe(Stream.drop(1), Stream.as(": heartbeat\n\n"))
        const body = Stream.make(": stream open\n\n").pipe(
          Stream.concat(Stream.merge(frames, heartbeats, { haltStrategy: "left" })),
          Stream.interruptWhen(Deferred.await(stopping)),
          Stream.encodeText
        )
        return HttpServerResponse.stream(body, {
          contentType: "text/event-stream",
          headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
        })
      }))
  }))
