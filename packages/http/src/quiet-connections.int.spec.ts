import { createServer, type Server } from "node:http"
import { type AddressInfo, connect, type Socket } from "node:net"
import { afterEach, expect, it } from "vitest"
import { closeQuietConnectionsOnClose } from "./quiet-connections.js"

// A shutdown must not wait on clients that have no request in progress.

const servers: Array<Server> = []
afterEach(() => {
  for (const server of servers.splice(0)) server.closeAllConnections()
})

const listening = async (): Promise<{ readonly server: Server; readonly port: number }> => {
  const server = createServer((request, response) => {
    // Answers once the whole body is in, so a request can be held in flight by not sending all of it.
    request.resume()
    request.on("end", () => response.end(`answered ${request.url}`))
  })
  servers.push(server)
  closeQuietConnectionsOnClose(server)
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready))
  return { server, port: (server.address() as AddressInfo).port }
}

const open = (port: number, bytes: string): Promise<{ readonly socket: Socket; readonly received: () => string; readonly closed: Promise<void> }> =>
  new Promise((ready) => {
    const socket = connect(port, "127.0.0.1")
    let received = ""
    socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")))
    const closed = new Promise<void>((done) => socket.on("close", () => done()))
    socket.write(bytes, () => ready({ socket, received: () => received, closed }))
  })

const settle = () => new Promise((later) => setTimeout(later, 100))

it("closes connections with half a request head, or idle after a keep-alive answer, as soon as the server closes", async () => {
  const { server, port } = await listening()
  const halfHead = await open(port, "GET /never HTTP/1.1\r\nHost: x\r\n")
  const idle = await open(port, "GET /once HTTP/1.1\r\nHost: x\r\n\r\n")
  const silent = await open(port, "")
  await settle()
  expect(idle.received()).toContain("answered /once")
  const stopped = new Promise<void>((done) => server.close(() => done()))
  await Promise.all([halfHead.closed, idle.closed, silent.closed, stopped])
  expect(halfHead.received()).toBe("")
})

it("still answers a request in flight when the server closes, then closes its connection", async () => {
  const { server, port } = await listening()
  const inFlight = await open(port, "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345")
  await settle()
  let stopped = false
  const stopping = new Promise<void>((done) => server.close(() => done())).then(() => (stopped = true))
  await settle()
  expect(stopped).toBe(false)
  inFlight.socket.write("67890")
  await Promise.all([inFlight.closed, stopping])
  expect(inFlight.received()).toContain("answered /slow")
})
