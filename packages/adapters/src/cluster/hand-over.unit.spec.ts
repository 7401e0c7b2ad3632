import { Entity, MessageStorage, RunnerAddress, RunnerHealth, Runners, RunnerStorage, Sharding, ShardingConfig, ShardId } from "@effect/cluster"
import { Runner } from "@effect/cluster/Runner"
import { Rpc } from "@effect/rpc"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Layer, Option, Ref } from "effect"
import { drainableRunnerStorage, HandOver, handOverSettings, withHandOver } from "./hand-over.js"

const Probe = Entity.make("Probe", [Rpc.make("Ping")])
const address = RunnerAddress.make("127.0.0.1", 34431)

/** The memory runner storage, each lock release and unregistration written down in `journal`. */
const journaled = (journal: Ref.Ref<ReadonlyArray<string>>) =>
  Layer.effect(
    RunnerStorage.RunnerStorage,
    Effect.map(RunnerStorage.makeMemory, (memory) => {
      const note = (entry: string) => Ref.update(journal, (entries) => [...entries, entry])
      return RunnerStorage.RunnerStorage.of({
        ...memory,
        releaseAll: (a) => Effect.zipRight(note("locks released"), memory.releaseAll(a)),
        unregister: (a) => Effect.zipRight(note("left the runners"), memory.unregister(a))
      })
    })
  )

const sharding = (storage: Layer.Layer<RunnerStorage.RunnerStorage>) =>
  Sharding.layer.pipe(
    Layer.provideMerge(Runners.layerNoop),
    Layer.provideMerge(MessageStorage.layerMemory),
    Layer.provideMerge(Layer.provide(drainableRunnerStorage, storage)),
    Layer.provide(RunnerHealth.layerNoop),
    Layer.provide(ShardingConfig.layer({
      ...handOverSettings,
      runnerAddress: Option.some(address),
      shardsPerGroup: 4,
      entityMessagePollInterval: Duration.millis(100),
      refreshAssignmentsInterval: Duration.millis(100)
    }))
  )

describe("a runner that stops", () => {
  it.live("lets go of its shard locks after its last entity has closed, and only then leaves the runners' list", () =>
    Effect.gen(function* () {
      const journal = yield* Ref.make<ReadonlyArray<string>>([])
      const probe = Probe.toLayer(Effect.gen(function* () {
        // An entity's scope holds a session's socket: it must close before anyone else may take the shard.
        yield* Effect.addFinalizer(() => Ref.update(journal, (entries) => [...entries, "entity closed"]))
        return Probe.of({ Ping: () => Effect.void })
      }))
      yield* Effect.scoped(Effect.gen(function* () {
        const context = yield* Layer.build(withHandOver(probe, sharding(journaled(journal)), address))
        const client = yield* Effect.provide(Probe.client, context)
        yield* client("session-1").Ping()
      }))
      const entries = yield* Ref.get(journal)
      const first = (entry: string) => entries.indexOf(entry)
      expect(first("entity closed")).toBeGreaterThanOrEqual(0)
      expect(first("locks released")).toBeGreaterThan(first("entity closed"))
      expect(first("left the runners")).toBeGreaterThan(first("locks released"))
    }), 20_000)

  it.effect("acquires no shard and does not register again once it has handed its shards over", () =>
    Effect.gen(function* () {
      const context = yield* Layer.build(Layer.provide(drainableRunnerStorage, RunnerStorage.layerMemory))
      const storage = yield* Effect.provide(RunnerStorage.RunnerStorage, context)
      const handOver = yield* Effect.provide(HandOver, context)
      const runner = new Runner({ address, groups: ["default"], weight: 1 })
      yield* storage.register(runner, true)
      const shards = [ShardId.make("default", 1), ShardId.make("default", 2)]
      expect(yield* storage.acquire(address, shards)).toEqual(shards)

      yield* handOver.drain(address)
      expect(yield* storage.getRunners).toEqual([])
      expect(yield* storage.acquire(address, shards)).toEqual([])
      expect(Either.isLeft(yield* Effect.either(storage.register(runner, true)))).toBe(true)
    }).pipe(Effect.scoped))
})
