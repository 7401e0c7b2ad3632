import { Effect, Layer } from "effect"
import { ConnectionLog } from "./connection-log.js"
import { MemoryWebhookDatabase } from "./webhook-tables-memory.js"

/** The connection log on tables shared with the memory webhook store. */
export const ConnectionLogMemoryShared: Layer.Layer<ConnectionLog, never, MemoryWebhookDatabase> = Layer.effect(
  ConnectionLog,
  Effect.map(MemoryWebhookDatabase, (tables) => ({
    record: (input) =>
      Effect.sync(() => {
        const event = { ...input, position: tables.nextConnectionPosition++ }
        tables.connectionEvents.push(event)
        return event
      }),
    readAfter: (position, limit) =>
      Effect.sync(() => tables.connectionEvents.filter((e) => e.position > position).slice(0, Math.max(0, limit))),
    head: Effect.sync(() => tables.nextConnectionPosition - 1n)
  }))
)

/** A standalone in-memory connection log. */
export const ConnectionLogMemory: Layer.Layer<ConnectionLog> = Layer.provide(ConnectionLogMemoryShared, MemoryWebhookDatabase.layer)
