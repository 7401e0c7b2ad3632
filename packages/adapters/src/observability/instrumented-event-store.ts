import { Duration, Effect, Exit, Layer } from "effect"
import { EventStore } from "@wa-gateway/domain"
import { GatewayMetrics } from "./gateway-metrics.js"

/** The event store with every append timed into `wa_event_store_append_seconds{outcome}`. */
export const InstrumentedEventStore: Layer.Layer<EventStore, never, EventStore | GatewayMetrics> = Layer.effect(
  EventStore,
  Effect.gen(function* () {
    const store = yield* EventStore
    const { appendSeconds } = yield* GatewayMetrics
    return {
      ...store,
      append: (request) =>
        Effect.timed(Effect.exit(store.append(request))).pipe(
          Effect.flatMap(([duration, exit]) => {
            const outcome = Exit.isSuccess(exit) ? "appended" : exit.cause._tag === "Fail" ? exit.cause.error._tag : "defect"
            appendSeconds.observe({ outcome }, Duration.toMillis(duration) / 1000)
            return exit
          })
        )
    }
  })
)
