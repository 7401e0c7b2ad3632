import { AsyncLocalStorage } from "node:async_hooks"
import { createRequire, syncBuiltinESMExports } from "node:module"

// Baileys makes an AsyncLocalStorage per socket (`addTransactionCapability`,
// for its key-store transactions) and never disables it. On Node 20 every
// AsyncLocalStorage that has run once stays in one process-wide list for
// good, and every new async resource (each promise, timer, socket) gets a
// slot copied per instance in that list: the cost of every promise in the
// gateway grows with the number of sockets ever made, closed ones included.
// Measured with real Baileys sockets against the fake WhatsApp: 60 logged-in
// sockets made promises 20 times dearer, and they stayed so after the sockets
// ended; at 500 sessions (bench/real-engine.ts) a session cost 406 KiB of
// heap, 2.5 MiB of RSS and 6.7 ms of idle CPU a minute (shared: 231 KiB,
// 0.4 MiB, 1.7 ms).
// So the instances Baileys makes while a socket is created are views on one
// shared storage: each keeps its own value under a key of its own, exactly
// as separate instances would, and the process-wide list holds one entry
// however many sockets come and go. (Node 22's AsyncContextFrame does not
// have the problem; Node 20 is what we run.)

/** Each view's value, by the view's key, in the current async context. */
const shared = new AsyncLocalStorage<ReadonlyMap<symbol, unknown>>()

const withValue = (key: symbol, value: unknown): ReadonlyMap<symbol, unknown> => new Map(shared.getStore()).set(key, value)

const without = (key: symbol): ReadonlyMap<symbol, unknown> => {
  const next = new Map(shared.getStore())
  next.delete(key)
  return next
}

/** An AsyncLocalStorage that keeps its value in the shared one (its own base instance never runs, so never joins Node's list). */
export class SharedAsyncLocalStorage<T> extends AsyncLocalStorage<T> {
  readonly #key = Symbol("shared async context view")
  /** `disable()` makes `getStore()` answer undefined until the next `run` or `enterWith`, as Node's does. */
  #disabled = false

  override getStore(): T | undefined {
    return this.#disabled ? undefined : shared.getStore()?.get(this.#key) as T | undefined
  }

  override run<R, TArgs extends Array<unknown>>(store: T, callback: (...args: TArgs) => R, ...args: TArgs): R {
    this.#disabled = false
    return shared.run(withValue(this.#key, store), callback, ...args)
  }

  override exit<R, TArgs extends Array<unknown>>(callback: (...args: TArgs) => R, ...args: TArgs): R {
    return shared.run(without(this.#key), callback, ...args)
  }

  override enterWith(store: T): void {
    this.#disabled = false
    shared.enterWith(withValue(this.#key, store))
  }

  override disable(): void {
    this.#disabled = true
  }
}

// The CommonJS exports of the builtin: what `import { AsyncLocalStorage } from "async_hooks"` in Baileys is bound to, once synced.
const asyncHooks: { AsyncLocalStorage: typeof AsyncLocalStorage } = createRequire(import.meta.url)("node:async_hooks")

/**
 * Runs `make` (synchronous: Baileys' `makeWASocket`) with every
 * `new AsyncLocalStorage()` made meanwhile, in any module, a view on the
 * shared storage; Node's own class is back when it returns.
 */
export const withSharedAsyncContext = <A>(make: () => A): A => {
  const original = asyncHooks.AsyncLocalStorage
  asyncHooks.AsyncLocalStorage = SharedAsyncLocalStorage
  syncBuiltinESMExports()
  try {
    return make()
  } finally {
    asyncHooks.AsyncLocalStorage = original
    syncBuiltinESMExports()
  }
}
