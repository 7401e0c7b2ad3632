import { Effect } from "effect"

/**
 * Serializes effects per key in this process; a key's semaphore lives only
 * while someone holds or waits for it, so idle sessions cost nothing.
 */
export const makeKeyedLock = Effect.sync(() => {
  const entries = new Map<string, { readonly semaphore: Effect.Semaphore; users: number }>()

  const acquire = (key: string) =>
    Effect.sync(() => {
      let entry = entries.get(key)
      if (entry === undefined) {
        entry = { semaphore: Effect.unsafeMakeSemaphore(1), users: 0 }
        entries.set(key, entry)
      }
      entry.users++
      return entry
    })

  const release = (key: string, entry: { users: number }) =>
    Effect.sync(() => {
      entry.users--
      if (entry.users === 0) entries.delete(key)
    })

  return {
    withLock: (key: string) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.acquireUseRelease(acquire(key), (entry) => entry.semaphore.withPermits(1)(effect), (entry) => release(key, entry)),
    /** Keys currently held or awaited; for tests and metrics. */
    size: () => entries.size
  }
})
