import { Singleton } from "@effect/cluster"
import { EventStore } from "@wa-gateway/domain"
import { type Duration, Effect, Schedule } from "effect"
import { WaSession } from "./wa-session-entity.js"

/** How many sessions one pass pings at once. */
const CONCURRENCY = 16

/**
 * A cluster singleton (one runner runs it at a time): every interval, every
 * `paired` session's entity is pinged, so it runs somewhere after a crash, a
 * deploy or a shard move even if nothing else wakes it. A running entity
 * answers the ping at once; a stopped one starts and reconnects its session.
 */
export const reconciler = (interval: Duration.DurationInput) =>
  Singleton.make(
    "wa-gateway/reconciler",
    Effect.gen(function* () {
      const store = yield* EventStore
      const client = yield* WaSession.client
      const pass = Effect.gen(function* () {
        const paired = yield* store.sessionsInStatus("paired")
        yield* Effect.forEach(
          paired,
          (record) => client(record.sessionId).Ensure().pipe(Effect.timeout("30 seconds"), Effect.ignore),
          { concurrency: CONCURRENCY, discard: true }
        )
      }).pipe(Effect.catchAll((e) => Effect.logWarning("the reconciler could not read the paired sessions; next pass later", e)))
      yield* pass.pipe(Effect.repeat(Schedule.spaced(interval)))
    })
  )
