import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { afterEach, expect, it } from "vitest"
import { holdRequestsUntilServed } from "./server.js"

// The platform listens before it attaches its handler; a request in that gap must still be answered.

const servers: Array<ReturnType<typeof createServer>> = []
afterEach(() => Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done)))))

it("holds a request that arrives before the handler is attached and hands it over once it is", async () => {
  const server = createServer()
  servers.push(server)
  const seen: Array<string> = []
  server.on("request", (request) => seen.push(`own ${request.url}`))
  holdRequestsUntilServed(server)
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening))
  const { port } = server.address() as AddressInfo
  const answer = fetch(`http://127.0.0.1:${port}/early`, { signal: AbortSignal.timeout(5_000) })
  // Long enough for the request to be accepted and held.
  await new Promise((later) => setTimeout(later, 200))
  expect(seen).toEqual(["own /early"])
  server.on("request", (request, response) => response.end(`handled ${request.url}`))
  const response = await answer
  expect(await response.text()).toBe("handled /early")
  // Later requests go straight to the handler, held nowhere.
  expect(await (await fetch(`http://127.0.0.1:${port}/later`)).text()).toBe("handled /later")
})

it("puts a front in the platform's place: what it takes the platform never sees, and the platform's own off removes both", async () => {
  const server = createServer()
  servers.push(server)
  const detached: Array<string> = []
  holdRequestsUntilServed(server, {
    onDetached: () => detached.push("detached"),
    front: (request, response) => {
      if (request.url !== "/front") return false
      response.end("front")
      return true
    }
  })
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening))
  const { port } = server.address() as AddressInfo
  const platformSaw: Array<string> = []
  const platform = (request: { url?: string | undefined }, response: { end: (text: string) => void }) => {
    platformSaw.push(request.url ?? "")
    response.end("platform")
  }
  server.on("request", platform)
  // The swap happens on the next tick.
  await new Promise((later) => setImmediate(later))
  expect(await (await fetch(`http://127.0.0.1:${port}/front`)).text()).toBe("front")
  expect(await (await fetch(`http://127.0.0.1:${port}/other`)).text()).toBe("platform")
  expect(platformSaw).toEqual(["/other"])
  expect(detached).toEqual([])
  server.off("request", platform)
  expect(server.listenerCount("request")).toBe(0)
  expect(detached).toEqual(["detached"])
})
