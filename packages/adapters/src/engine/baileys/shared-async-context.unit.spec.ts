import { AsyncLocalStorage, executionAsyncResource } from "node:async_hooks"
import { setTimeout as sleep } from "node:timers/promises"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { SessionId } from "@wa-gateway/domain"
import { type BaileysLogger, initAuthCreds, type makeWASocket } from "./baileys.js"
import { SharedAsyncLocalStorage, withSharedAsyncContext } from "./shared-async-context.js"
import { baileysSocketFactory, SocketFactory } from "./socket-factory.js"

const silent: BaileysLogger = { level: "silent", child: () => silent, trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }

/**
 * How many AsyncLocalStorage instances Node copies a slot for into every new
 * async resource: on Node 20 each one that ever ran leaves a `kResourceStore`
 * symbol on every resource made after it (with AsyncContextFrame, Node 22+,
 * none do).
 */
const instancesPropagated = () =>
  new Promise<number>((resolve) =>
    setImmediate(() => resolve(Object.getOwnPropertySymbols(executionAsyncResource()).filter((s) => s.description === "kResourceStore").length)))

describe("SharedAsyncLocalStorage", () => {
  it("keeps each view's value apart, across awaits and timers, and restores the outer value after a nested run", async () => {
    const a = new SharedAsyncLocalStorage<string>()
    const b = new SharedAsyncLocalStorage<string>()
    const seen: Array<unknown> = []
    await a.run("a1", async () => {
      await b.run("b1", async () => {
        await sleep(1)
        seen.push([a.getStore(), b.getStore()])
        await a.run("a2", async () => {
          await new Promise((resolve) => setTimeout(resolve, 1))
          seen.push([a.getStore(), b.getStore()])
        })
        seen.push([a.getStore(), b.getStore()])
      })
      seen.push([a.getStore(), b.getStore()])
    })
    seen.push([a.getStore(), b.getStore()])
    expect(seen).toEqual([["a1", "b1"], ["a2", "b1"], ["a1", "b1"], ["a1", undefined], [undefined, undefined]])
  })

  it("hides its value in exit, sets it with enterWith, answers undefined after disable until the next run", async () => {
    const view = new SharedAsyncLocalStorage<number>()
    const other = new SharedAsyncLocalStorage<number>()
    await other.run(7, async () => {
      view.run(1, () => {
        expect(view.exit(() => [view.getStore(), other.getStore()])).toEqual([undefined, 7])
        expect(view.getStore()).toBe(1)
      })
      await new Promise<void>((resolve) =>
        setImmediate(() => {
          view.enterWith(2)
          expect([view.getStore(), other.getStore()]).toEqual([2, 7])
          view.disable()
          expect(view.getStore()).toBeUndefined()
          expect(view.run(3, () => view.getStore())).toBe(3)
          resolve()
        }))
    })
  })

  it("withSharedAsyncContext makes an imported AsyncLocalStorage a view while it runs, and Node's own class again after", () => {
    const during = withSharedAsyncContext(() => new AsyncLocalStorage<number>())
    expect(during).toBeInstanceOf(SharedAsyncLocalStorage)
    expect(new AsyncLocalStorage()).not.toBeInstanceOf(SharedAsyncLocalStorage)
    expect(() => withSharedAsyncContext(() => { throw new Error("boom") })).toThrow("boom")
    expect(new AsyncLocalStorage()).not.toBeInstanceOf(SharedAsyncLocalStorage)
  })

  it.live("twenty real Baileys sockets of the socket factory, each with a key-store transaction, add at most one instance Node propagates", () =>
    Effect.gen(function* () {
      const factory = yield* SocketFactory
      const before = yield* Effect.promise(instancesPropagated)
      const keys = { get: async () => ({}), set: async () => {} }
      const sockets = Array.from({ length: 20 }, (_, i) =>
        factory.open({ sessionId: SessionId.make(`sess_01J0000000000000000000000${String(i % 10)}`), creds: initAuthCreds(), keys, logger: silent }))
      try {
        for (const socket of sockets) {
          // what Baileys does at every login (the LID mapping) and for every message: its own AsyncLocalStorage runs
          const { authState } = socket as ReturnType<typeof makeWASocket>
          yield* Effect.promise(() => authState.keys.transaction(async () => { await authState.keys.set({ "lid-mapping": { probe: "1" } }) }, "probe"))
        }
        const after = yield* Effect.promise(instancesPropagated)
        expect(after - before).toBeLessThanOrEqual(1)
      } finally {
        yield* Effect.promise(() => Promise.all(sockets.map((socket) => socket.end(undefined))))
      }
    }).pipe(Effect.provide(Layer.fresh(baileysSocketFactory({ serverUrl: Option.some("ws://127.0.0.1:1"), certRoot: Option.none(), verifyServerCert: true })))))
})
