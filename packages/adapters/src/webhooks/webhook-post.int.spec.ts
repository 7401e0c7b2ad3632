import { createServer, type IncomingMessage, type Server } from "node:http"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber } from "effect"
import { makeWebhookPost } from "./webhook-post.js"

/** A local receiver whose handler the test chooses; it notes when a request's socket closes. */
const receiver = (handle: (request: IncomingMessage, answer: (status: number) => void) => void) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const closed: Array<string> = []
      const server: Server = createServer((request, response) => {
        request.socket.once("close", () => closed.push(String(request.headers["webhook-id"])))
        request.resume()
        handle(request, (status) => response.writeHead(status).end())
      })
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      return { url: `http://127.0.0.1:${port}/hook`, closed, server }
    }),
    ({ server }) => Effect.promise(() => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }))
  )

const headers = (id: string) => ({ "webhook-id": id, "content-type": "application/json" })

describe("makeWebhookPost", () => {
  it.scopedLive("answers the receiver's status code, 2xx or not", () =>
    Effect.gen(function* () {
      const { url } = yield* receiver((request, answer) => answer(request.headers["webhook-id"] === "gone" ? 410 : 204))
      const post = yield* makeWebhookPost({ blockPrivateNetworks: false, socketsPerHost: 4 })
      expect(yield* post(url, headers("ok"), "{}")).toBe(204)
      expect(yield* post(url, headers("gone"), "{}")).toBe(410)
    }))

  it.scopedLive("fails an attempt without an answer at the deadline and closes its request", () =>
    Effect.gen(function* () {
      const { url, closed } = yield* receiver(() => undefined)
      const post = yield* makeWebhookPost({ blockPrivateNetworks: false, socketsPerHost: 4, deadline: Duration.millis(200) })
      const failure = yield* Effect.flip(post(url, headers("silent"), "{}"))
      expect(failure).toMatchObject({ _tag: "WebhookRequestFailed", message: "no answer within 200ms" })
      yield* Effect.promise(() => waitFor(() => closed.includes("silent")))
    }))

  it.scopedLive("an interrupted attempt closes its request at once", () =>
    Effect.gen(function* () {
      let arrived = false
      const { url, closed } = yield* receiver(() => {
        arrived = true
      })
      const post = yield* makeWebhookPost({ blockPrivateNetworks: false, socketsPerHost: 4 })
      const fiber = yield* Effect.fork(post(url, headers("interrupted"), "{}"))
      yield* Effect.promise(() => waitFor(() => arrived))
      expect(Exit.isInterrupted(yield* Fiber.interrupt(fiber))).toBe(true)
      yield* Effect.promise(() => waitFor(() => closed.includes("interrupted")))
    }))

  it.scopedLive("refuses a literal private address when private networks are blocked, before connecting", () =>
    Effect.gen(function* () {
      let reached = false
      const { url } = yield* receiver((_, answer) => {
        reached = true
        answer(204)
      })
      const post = yield* makeWebhookPost({ blockPrivateNetworks: true, socketsPerHost: 4 })
      const failure = yield* Effect.flip(post(url, headers("private"), "{}"))
      expect(failure.message).toBe("the URL resolves to a loopback, private, link-local or unspecified address")
      expect(reached).toBe(false)
    }))
})

/** Polls until `check` holds (at most 5 s): the socket's close reaches the receiver a moment after the client's. */
const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  expect(check()).toBe(true)
}
