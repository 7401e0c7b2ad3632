import { Effect, Layer } from "effect"
import { EventStore } from "@wa-gateway/domain"
import { Tracing } from "./tracing.js"

/** With tracing on, every append is a span (a child of the request's); off, the store is handed back as it is. */
export const TracedEventStore: Layer.Layer<EventStore, never, EventStore> = Layer.effect(
  EventStore,
  Effect.gen(function* () {
    const store = yield* EventStore
    if (!(yield* Tracing).enabled) return store
    return {
      ...store,
      append: (request) =>
        Effect.withSpan(store.append(request), "event_store.append", {
          kind: "client",
          attributes: { "wa.session_id": request.streamId, "wa.events": request.events.length, "wa.expected_version": request.expectedVersion }
        })
    }
  })
)
