import { Config, ConfigError, Context, Duration, Effect, Either, Layer } from "effect"
import { EventStore, SessionEngine } from "@wa-gateway/domain"
import { SessionSupervisor } from "../engine/session-supervisor.js"
import { GatewayMetrics } from "../observability/gateway-metrics.js"
import { ConnectionLog } from "../store/connection-log.js"
import { WebhookStore } from "../store/webhook-store.js"
import { makeQrForwarder } from "./qr-forwarder.js"
import { DEFAULT_RETRY_SCHEDULE, parseRetrySchedule } from "./retry-schedule.js"
import { makeRouter } from "./router.js"
import { makeSender } from "./sender.js"
import { Wakeups } from "./wakeups.js"
import { makeWebhookMetrics } from "./webhook-metrics.js"
import { makeWebhookPost } from "./webhook-post.js"

export interface DispatcherOptions {
  /** `WEBHOOK_RETRY_SCHEDULE`; default spec/EVENTS.md's (5 s … 10 h). */
  readonly retrySchedule?: ReadonlyArray<Duration.Duration> | undefined
  /** `WEBHOOK_BLOCK_PRIVATE_NETWORKS`; default false (self-hosted receivers are usually internal). */
  readonly blockPrivateNetworks?: boolean | undefined
  /** Attempts in flight at once in this process (default 64)… */
  readonly concurrency?: number | undefined
  /** …and for one subscription (default 16). */
  readonly perWebhook?: number | undefined
  /** The slow poll behind the wake-ups (default 2 s). */
  readonly pollInterval?: Duration.DurationInput | undefined
}

/** The environment's webhook settings (spec/EVENTS.md "Delivery"). */
export const WebhookConfig: Config.Config<{
  readonly retrySchedule: ReadonlyArray<Duration.Duration>
  readonly blockPrivateNetworks: boolean
}> = Config.all({
  retrySchedule: Config.string("WEBHOOK_RETRY_SCHEDULE").pipe(
    Config.mapOrFail((text) =>
      Either.mapLeft(parseRetrySchedule(text), (message) => ConfigError.InvalidData(["WEBHOOK_RETRY_SCHEDULE"], message))),
    Config.withDefault(DEFAULT_RETRY_SCHEDULE)
  ),
  blockPrivateNetworks: Config.boolean("WEBHOOK_BLOCK_PRIVATE_NETWORKS").pipe(Config.withDefault(false))
})

/**
 * The webhook dispatcher of one process (DESIGN §11): the router turns both
 * logs into deliveries, the sender delivers them, the QR forwarder sends the
 * live-only QR codes. Several processes on one database share the work.
 */
export class WebhookDispatcher extends Context.Tag("wa-gateway/WebhookDispatcher")<WebhookDispatcher, {
  /** Attempts in flight in this process now. */
  readonly inFlight: Effect.Effect<number>
}>() {
  static readonly layer = (options: DispatcherOptions = {}) => Layer.scoped(this, make(options))
}

const make = (options: DispatcherOptions) =>
  Effect.gen(function* () {
    const webhooks = yield* WebhookStore
    const events = yield* EventStore
    const connections = yield* ConnectionLog
    const engine = yield* SessionEngine
    const supervisor = yield* SessionSupervisor
    const wakeups = yield* Wakeups
    const observe = yield* makeWebhookMetrics(yield* GatewayMetrics, webhooks)
    const concurrency = Math.max(1, options.concurrency ?? 64)
    const pollInterval = Duration.decode(options.pollInterval ?? "2 seconds")
    const post = yield* makeWebhookPost({ blockPrivateNetworks: options.blockPrivateNetworks ?? false, socketsPerHost: concurrency })

    const router = makeRouter({ webhooks, events, connections, engine })
    const routerWaiter = yield* wakeups.waiter
    yield* Effect.forkScoped(Effect.forever(Effect.gen(function* () {
      const step = yield* router.step
      // New deliveries: wake the senders, here and (on PostgreSQL) in the other processes.
      if (step.queued > 0) yield* wakeups.signal
      if (!step.more) yield* routerWaiter.await(pollInterval)
    }).pipe(
      Effect.catchAll((e) => Effect.zipRight(Effect.logWarning("webhook router: the store is unavailable; retrying", e), Effect.sleep(pollInterval)))
    )))

    const sender = yield* makeSender(webhooks, post, {
      retrySchedule: options.retrySchedule ?? DEFAULT_RETRY_SCHEDULE,
      concurrency,
      perWebhook: Math.max(1, Math.min(concurrency, options.perWebhook ?? 16)),
      pollInterval,
      observe
    })
    yield* Effect.forkScoped(sender.run(yield* wakeups.waiter))
    yield* Effect.forkScoped(yield* makeQrForwarder({ supervisor, events, webhooks, post }))

    return { inFlight: sender.inFlight }
  })
