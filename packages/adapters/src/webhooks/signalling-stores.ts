import { Context, Effect, Layer } from "effect"
import { EventStore } from "@wa-gateway/domain"
import { ConnectionLog } from "../store/connection-log.js"
import { Wakeups } from "./wakeups.js"

/**
 * The event store and the connection log, each write followed by a wake-up
 * signal: the webhook router and the event feed read them without polling
 * delay. A write that failed signals nothing.
 */
export const SignallingLogs: Layer.Layer<EventStore | ConnectionLog, never, EventStore | ConnectionLog | Wakeups> = Layer.effectContext(
  Effect.gen(function* () {
    const events = yield* EventStore
    const connections = yield* ConnectionLog
    const { signal } = yield* Wakeups
    return Context.make(EventStore, { ...events, append: (request) => Effect.tap(events.append(request), () => signal) }).pipe(
      Context.add(ConnectionLog, { ...connections, record: (input) => Effect.tap(connections.record(input), () => signal) })
    )
  })
)
