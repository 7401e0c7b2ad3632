import { type Context, Effect, Layer } from "effect"
import { EventStore, type OrgId, SessionEngine, type SessionId, SessionNotFound, SessionService } from "@wa-gateway/domain"
import { SessionSupervisor } from "../engine/session-supervisor.js"
import type { WebhookStore } from "../store/webhook-store.js"
import { EventFeed } from "../webhooks/event-feed.js"
import type { Wakeups } from "../webhooks/wakeups.js"
import { makeWebhookOperations } from "../webhooks/webhook-operations.js"
import { Gateway } from "./gateway.js"
import { LocalSessionPlacement } from "./session-commands.js"
import { SessionPlacement } from "./session-placement.js"
import { type PairedSessionView, toSessionView } from "./session-view.js"

export { DELETE_UNLINK_TIMEOUT } from "./session-commands.js"

/**
 * The Gateway's operations over the domain service, the engine, the
 * supervisor and the webhook store. Commands that touch both the stream and
 * the engine run where the `SessionPlacement` puts them (session-commands.ts).
 */
const make = Effect.gen(function* () {
  const sessions = yield* SessionService
  const engine = yield* SessionEngine
  const supervisor = yield* SessionSupervisor
  const store = yield* EventStore
  const placement = yield* SessionPlacement
  const view = toSessionView(engine)
  const feed = yield* EventFeed
  const webhooks = yield* makeWebhookOperations

  const me = (orgId: OrgId, sessionId: SessionId) =>
    Effect.flatMap(sessions.get(orgId, sessionId), (record) =>
      record.status === "paired"
        ? Effect.map(view(record), (v): PairedSessionView => ({ ...v, status: "paired", identity: record.identity }))
        : Effect.fail(new SessionNotFound({ sessionId })))

  const service: Context.Tag.Service<Gateway> = {
    create: (orgId, input) => Effect.flatMap(sessions.create(orgId, input.name), view),
    get: (orgId, sessionId) => Effect.flatMap(sessions.get(orgId, sessionId), view),
    list: (orgId, page) =>
      Effect.flatMap(sessions.list(orgId, page), (result) =>
        Effect.map(Effect.forEach(result.sessions, view), (views) => ({ sessions: views, hasMore: result.hasMore }))),
    qr: placement.qr,
    requestPairingCode: placement.requestPairingCode,
    // Wherever it ran, the read model says what it left.
    logout: (orgId, sessionId) => Effect.zipRight(placement.logout(orgId, sessionId), Effect.flatMap(sessions.get(orgId, sessionId), view)),
    delete: placement.delete,
    me,
    events: sessions.history,
    ready: Effect.zipRight(
      store.ping,
      Effect.map(supervisor.resumeProgress, (resume) => ({ engine: engine.name, warnings: engine.warnings, resume }))
    ),
    webhooks,
    subscribe: (orgId, filter = {}) => feed.subscribe(orgId, filter)
  }
  return service
})

/** The facade, its commands placed by the given `SessionPlacement`. */
export const GatewayOn: Layer.Layer<
  Gateway,
  never,
  SessionPlacement | SessionService | SessionEngine | SessionSupervisor | EventStore | WebhookStore | Wakeups | EventFeed
> = Layer.effect(Gateway, make)

/** The facade over a store, the domain service, an engine and its supervisor, every command run in this process. */
export const GatewayLive: Layer.Layer<
  Gateway,
  never,
  SessionService | SessionEngine | SessionSupervisor | EventStore | WebhookStore | Wakeups | EventFeed
> = Layer.provide(GatewayOn, LocalSessionPlacement)
