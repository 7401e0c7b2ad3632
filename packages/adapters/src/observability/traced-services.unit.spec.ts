import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { EventStore, SessionEngine } from "@wa-gateway/domain"
import { MemoryStores } from "../store/stores.js"
import { simulatorEngineLayer } from "../engine/simulator/simulator-engine.js"
import { TracedSessionEngine } from "./traced-engine.js"
import { TracedEventStore } from "./traced-event-store.js"
import { Tracing } from "./tracing.js"

// With tracing off the decorators hand back the very service they were given:
// no request pays for a span (not even a no-op one).

const stores = MemoryStores
const engine = simulatorEngineLayer()

const pair = (enabled: boolean) =>
  Effect.gen(function* () {
    const plainStore = yield* Effect.provide(EventStore, stores)
    const plainEngine = yield* Effect.provide(SessionEngine, engine)
    const tracedStore = yield* Effect.provide(EventStore, TracedEventStore.pipe(Layer.provide(Layer.succeed(EventStore, plainStore))))
    const tracedEngine = yield* Effect.provide(SessionEngine, TracedSessionEngine.pipe(Layer.provide(Layer.succeed(SessionEngine, plainEngine))))
    return { plainStore, plainEngine, tracedStore, tracedEngine }
  }).pipe(Effect.provideService(Tracing, { enabled }), Effect.scoped)

describe("traced decorators", () => {
  it.effect("with tracing off (the default), the store and the engine are handed back untouched", () =>
    Effect.gen(function* () {
      const { plainEngine, plainStore, tracedEngine, tracedStore } = yield* pair(false)
      expect(tracedStore).toBe(plainStore)
      expect(tracedEngine).toBe(plainEngine)
      expect((yield* Tracing).enabled).toBe(false)
    }))

  it.effect("with tracing on, appends and engine operations are wrapped", () =>
    Effect.gen(function* () {
      const { plainEngine, plainStore, tracedEngine, tracedStore } = yield* pair(true)
      expect(tracedStore).not.toBe(plainStore)
      expect(tracedStore.append).not.toBe(plainStore.append)
      expect(tracedEngine.startPairing).not.toBe(plainEngine.startPairing)
      expect(tracedEngine.events).toBe(plainEngine.events)
    }))
})
