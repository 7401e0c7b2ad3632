import { Clock, type Context, Effect, FiberSet, Option, Queue, type Scope } from "effect"
import { EngineEvent, type EventStore } from "@wa-gateway/domain"
import type { SessionSupervisor } from "../engine/session-supervisor.js"
import type { WebhookStore } from "../store/webhook-store.js"
import { qrPayload } from "./payload.js"
import { matches } from "./router.js"
import { deliveryHeaders } from "./sender.js"
import type { WebhookRequestFailed } from "./webhook-post.js"
import { makeTestMessageId } from "./webhook-ids.js"
import { liveSecrets } from "./webhook-secret.js"

type Post = (url: string, headers: Readonly<Record<string, string>>, body: string) => Effect.Effect<number, WebhookRequestFailed>

/**
 * `session.qr` to the subscriptions that opted in: live only, one attempt,
 * never stored (a QR is a pairing secret), from the process that shows it.
 */
export const makeQrForwarder = (services: {
  readonly supervisor: Context.Tag.Service<SessionSupervisor>
  readonly events: Context.Tag.Service<EventStore>
  readonly webhooks: Context.Tag.Service<WebhookStore>
  readonly post: Post
}): Effect.Effect<Effect.Effect<never>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const handled = yield* services.supervisor.handled
    // Each QR on a fiber of its own, so a slow receiver never holds up the next code.
    const forwarding = yield* FiberSet.make<void, never>()
    const forward = (event: Extract<EngineEvent, { readonly _tag: "QrUpdated" }>) =>
      Effect.gen(function* () {
        const session = yield* services.events.getSession(event.sessionId)
        if (Option.isNone(session)) return
        const { orgId } = session.value
        const targets = (yield* services.webhooks.routingTargets).filter((t) => t.enabled && matches(t, orgId, event.sessionId, "session.qr"))
        yield* Effect.forEach(targets, (target) =>
          Effect.gen(function* () {
            const webhook = yield* services.webhooks.get(orgId, target.webhookId)
            if (Option.isNone(webhook)) return
            const at = new Date(yield* Clock.currentTimeMillis)
            const body = JSON.stringify(qrPayload({ sessionId: event.sessionId, orgId, qr: event.qr, expiresAt: event.expiresAt, at }))
            const messageId = yield* makeTestMessageId
            yield* services.post(webhook.value.url, deliveryHeaders({ messageId, secrets: liveSecrets(webhook.value.secrets, at), at, body }), body)
          }).pipe(Effect.ignore), { concurrency: 8, discard: true })
      }).pipe(Effect.ignore)
    // Subscribed now, in the caller's scope; the loop is the caller's to fork.
    return Effect.forever(Effect.flatMap(Queue.take(handled), (event) =>
      EngineEvent.$is("QrUpdated")(event) ? Effect.asVoid(FiberSet.run(forwarding, forward(event))) : Effect.void))
  })
