import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { WebSocket } from "ws"
import { fakeWhatsApp } from "./server.js"

/** Whether a WebSocket connection to `url` opens (true) or is refused (false). */
const opens = (url: string): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = new WebSocket(url)
    socket.on("open", () => {
      socket.terminate()
      resolve(true)
    })
    socket.on("error", () => resolve(false))
  })

describe("fakeWhatsApp as a scoped resource", () => {
  it.live("listens while its scope is open and stops when it closes", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const fake = yield* fakeWhatsApp().pipe(Scope.extend(scope))
      expect(fake.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws\/chat$/)
      expect(Buffer.from(fake.certRoot, "base64")).toHaveLength(32)
      expect(yield* Effect.promise(() => opens(fake.url))).toBe(true)
      yield* Scope.close(scope, Exit.void)
      expect(yield* Effect.promise(() => opens(fake.url))).toBe(false)
    }))
})
