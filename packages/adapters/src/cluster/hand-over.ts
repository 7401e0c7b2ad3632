import { type RunnerAddress, RunnerStorage, type ShardingConfig } from "@effect/cluster"
import { PersistenceError } from "@effect/cluster/ClusterError"
import { Context, Effect, Layer, Ref } from "effect"

/**
 * A stopping runner's last duty to the others: let go of its shard locks,
 * then leave the runners' list, as soon as its sessions have stopped.
 *
 * @effect/cluster does both only when the whole `Sharding` closes, and in
 * the other order (with `preemptiveShutdown`, it leaves the list as its
 * entities begin to stop): the others then see it gone, try its shards while
 * it still locks them, and try again only a second later, or at the lock's
 * expiry. Here the locks go first, the moment the last socket has closed,
 * so the others take the shards at their first try.
 */
export class HandOver extends Context.Tag("wa-gateway/HandOver")<HandOver, {
  /** Releases every shard lock of `address` and unregisters it; from then on this runner acquires nothing. */
  readonly drain: (address: RunnerAddress.RunnerAddress) => Effect.Effect<void, PersistenceError>
}>() {}

const draining = (operation: string) =>
  new PersistenceError({ cause: new Error(`this runner is handing its shards over: no ${operation}`) })

/**
 * The runner storage below, unchanged until `HandOver.drain`; from then on a
 * shard acquisition takes nothing and a registration is refused, so the
 * runner, still alive for its last finalizers, never takes a shard back.
 */
export const drainableRunnerStorage: Layer.Layer<RunnerStorage.RunnerStorage | HandOver, never, RunnerStorage.RunnerStorage> = Layer.effectContext(
  Effect.gen(function* () {
    const storage = yield* RunnerStorage.RunnerStorage
    const drained = yield* Ref.make(false)
    const unlessDrained = <A>(operation: string, effect: Effect.Effect<A, PersistenceError>, instead?: A) =>
      Effect.flatMap(Ref.get(drained), (done) =>
        !done ? effect : instead === undefined ? Effect.fail(draining(operation)) : Effect.succeed(instead))
    const wrapped = RunnerStorage.RunnerStorage.of({
      ...storage,
      register: (runner, healthy) => unlessDrained("registration", storage.register(runner, healthy)),
      acquire: (address, shardIds) => unlessDrained("acquisition", storage.acquire(address, shardIds), [])
    })
    const handOver = HandOver.of({
      drain: (address) =>
        Effect.zipRight(Ref.set(drained, true), Effect.zipRight(storage.releaseAll(address), storage.unregister(address)))
    })
    return Context.make(RunnerStorage.RunnerStorage, wrapped).pipe(Context.add(HandOver, handOver))
  })
)

/**
 * Built below the entities and above `Sharding`, so its finalizer runs
 * between the two: after every entity's scope (and so every socket) has
 * closed, before the rest of the runner stops.
 */
export const handOverOnShutdown = (address: RunnerAddress.RunnerAddress): Layer.Layer<never, never, HandOver> =>
  Layer.scopedDiscard(
    Effect.flatMap(HandOver, (handOver) =>
      Effect.addFinalizer(() =>
        handOver.drain(address).pipe(
          Effect.timeout("3 seconds"),
          // The locks expire anyway: a failed release only delays the others until then.
          Effect.catchAll((e) => Effect.logWarning("could not release this runner's shard locks; the others take them at expiry", e))
        )))
  )

/** The runner leaves the runners' list only in `HandOver.drain` (and at the very end), not as its entities begin to stop. */
export const handOverSettings = { preemptiveShutdown: false } satisfies Partial<ShardingConfig.ShardingConfig["Type"]>

/**
 * A runner's entity layers over its `Sharding`, with the hand-over between
 * the two: closing it stops the entities, then drains, then stops the runner.
 */
export const withHandOver = <A, E, R, B, E2, R2>(
  entities: Layer.Layer<A, E, R>,
  sharding: Layer.Layer<B | HandOver, E2, R2>,
  address: RunnerAddress.RunnerAddress
) => Layer.provideMerge(entities, Layer.provideMerge(handOverOnShutdown(address), sharding))
