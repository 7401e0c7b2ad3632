import { Entity, MessageStorage, RunnerHealth, Runners, RunnerStorage, Sharding, ShardingConfig } from "@effect/cluster"
import { Rpc } from "@effect/rpc"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Layer, Ref } from "effect"

// What the cluster mode relies on from @effect/cluster 0.60.2 (Effect-TS/effect#6508, fixed by #6516,
// backported in #6795): a runner whose shard-lock storage stalls stops its entities (their scopes close,
// and with them a session's socket) on its own, long before another runner may take the shards.

const Probe = Entity.make("Probe", [Rpc.make("Ping")])

describe("a runner whose shard-lock storage stalls", () => {
  it.live("closes its entities' scopes within a few refresh intervals, well under the lock expiry", () =>
    Effect.gen(function* () {
      const stalled = yield* Ref.make(false)
      const closed = yield* Deferred.make<number>()
      // The memory storage, except that its refresh hangs once stalled (a connection that stopped answering).
      const storage = Layer.effect(
        RunnerStorage.RunnerStorage,
        Effect.map(RunnerStorage.makeMemory, (memory) =>
          RunnerStorage.RunnerStorage.of({
            ...memory,
            refresh: (address, shardIds) => Effect.flatMap(Ref.get(stalled), (s) => s ? Effect.never : memory.refresh(address, shardIds))
          }))
      )
      const sharding = Sharding.layer.pipe(
        Layer.provideMerge(Runners.layerNoop),
        Layer.provideMerge(MessageStorage.layerMemory),
        Layer.provide([storage, RunnerHealth.layerNoop]),
        Layer.provide(ShardingConfig.layer({
          shardsPerGroup: 4,
          shardLockRefreshInterval: Duration.millis(300),
          shardLockExpiration: Duration.seconds(15),
          entityMessagePollInterval: Duration.millis(100),
          refreshAssignmentsInterval: Duration.millis(100)
        }))
      )
      const probe = Probe.toLayer(Effect.gen(function* () {
        yield* Effect.addFinalizer(() => Effect.flatMap(Effect.clockWith((c) => c.currentTimeMillis), (at) => Deferred.succeed(closed, at)))
        return Probe.of({ Ping: () => Effect.void })
      }))
      yield* Effect.scoped(Effect.gen(function* () {
        const context = yield* Layer.build(Layer.provideMerge(probe, sharding))
        const client = yield* Effect.provide(Probe.client, context)
        yield* client("session-1").Ping()
        const stalledAt = yield* Effect.clockWith((c) => c.currentTimeMillis)
        yield* Ref.set(stalled, true)
        const closedAt = yield* Deferred.await(closed).pipe(Effect.timeout("10 seconds"))
        expect(closedAt - stalledAt).toBeLessThan(5_000)
      }))
    }), 20_000)
})
