import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Option } from "effect"
import { makeKeyedLock } from "./keyed-lock.js"

/** Lets every runnable fiber run until it finishes or blocks; no clock involved. */
const settle = Effect.repeatN(Effect.yieldNow(), 50)

/** An effect that records its start, waits for its gate, then records its end. */
const gated = (log: Array<string>, name: string, gate: Deferred.Deferred<void>) =>
  Effect.gen(function* () {
    log.push(`${name} start`)
    yield* Deferred.await(gate)
    log.push(`${name} end`)
  })

describe("makeKeyedLock", () => {
  it.effect("runs effects on one key one at a time, in order", () =>
    Effect.gen(function* () {
      const lock = yield* makeKeyedLock
      const log: Array<string> = []
      const [gateA, gateB] = [yield* Deferred.make<void>(), yield* Deferred.make<void>()]
      const a = yield* Effect.fork(lock.withLock("s1")(gated(log, "a", gateA)))
      yield* settle
      const b = yield* Effect.fork(lock.withLock("s1")(gated(log, "b", gateB)))
      yield* settle
      expect(log).toEqual(["a start"])

      yield* Deferred.succeed(gateA, undefined)
      yield* settle
      expect(log).toEqual(["a start", "a end", "b start"])
      // b now holds the key: a third comer must still wait for it.
      const c = yield* Effect.fork(lock.withLock("s1")(Effect.sync(() => log.push("c"))))
      yield* settle
      expect(log).toEqual(["a start", "a end", "b start"])
      expect(lock.size()).toBe(1)

      yield* Deferred.succeed(gateB, undefined)
      yield* Fiber.join(a)
      yield* Fiber.join(b)
      yield* Fiber.join(c)
      expect(log).toEqual(["a start", "a end", "b start", "b end", "c"])
    }))

  it.effect("runs effects on different keys concurrently", () =>
    Effect.gen(function* () {
      const lock = yield* makeKeyedLock
      const log: Array<string> = []
      const gate = yield* Deferred.make<void>()
      const a = yield* Effect.fork(lock.withLock("s1")(gated(log, "a", gate)))
      yield* settle
      const b = yield* Effect.fork(lock.withLock("s2")(Effect.sync(() => log.push("b"))))
      yield* settle
      // b finished while a still holds s1.
      expect(Option.map(yield* Fiber.poll(b), Exit.isSuccess)).toEqual(Option.some(true))
      expect(log).toEqual(["a start", "b"])
      expect(lock.size()).toBe(1)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(a)
    }))

  it.effect("counts the keys held or awaited and forgets a key once nobody uses it", () =>
    Effect.gen(function* () {
      const lock = yield* makeKeyedLock
      const log: Array<string> = []
      const gate = yield* Deferred.make<void>()
      expect(lock.size()).toBe(0)
      const a = yield* Effect.fork(lock.withLock("s1")(gated(log, "a", gate)))
      const b = yield* Effect.fork(lock.withLock("s2")(gated(log, "b", gate)))
      const c = yield* Effect.fork(lock.withLock("s2")(gated(log, "c", gate)))
      yield* settle
      expect(lock.size()).toBe(2)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(Fiber.zip(Fiber.zip(a, b), c))
      expect(lock.size()).toBe(0)
    }))

  it.effect("returns the effect's value and releases the key", () =>
    Effect.gen(function* () {
      const lock = yield* makeKeyedLock
      expect(yield* lock.withLock("s1")(Effect.succeed(42))).toBe(42)
      expect(lock.size()).toBe(0)
    }))

  it.effect("passes a failure through and releases the key", () =>
    Effect.gen(function* () {
      const lock = yield* makeKeyedLock
      const exit = yield* Effect.exit(lock.withLock("s1")(Effect.fail("boom")))
      expect(exit).toEqual(Exit.fail("boom"))
      expect(lock.size()).toBe(0)
      expect(yield* lock.withLock("s1")(Effect.succeed("free again"))).toBe("free again")
    }))

  it.effect("releases the key when the holder or a waiter is interrupted", () =>
    Effect.gen(function* () {
      const lock = yield* makeKeyedLock
      const log: Array<string> = []
      const never = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(lock.withLock("s1")(gated(log, "holder", never)))
      yield* settle
      const waiter = yield* Effect.fork(lock.withLock("s1")(Effect.sync(() => log.push("waiter"))))
      yield* settle
      yield* Fiber.interrupt(waiter)
      expect(lock.size()).toBe(1)
      yield* Fiber.interrupt(holder)
      expect(lock.size()).toBe(0)
      expect(log).toEqual(["holder start"])
      expect(yield* lock.withLock("s1")(Effect.succeed("free again"))).toBe("free again")
    }))

  it.effect("keeps the keys of two locks apart", () =>
    Effect.gen(function* () {
      const first = yield* makeKeyedLock
      const second = yield* makeKeyedLock
      const gate = yield* Deferred.make<void>()
      const a = yield* Effect.fork(first.withLock("s1")(Deferred.await(gate)))
      yield* settle
      expect(yield* second.withLock("s1")(Effect.succeed("not blocked"))).toBe("not blocked")
      expect([first.size(), second.size()]).toEqual([1, 0])
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(a)
    }))
})
