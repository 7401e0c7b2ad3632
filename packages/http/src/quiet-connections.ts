import type { IncomingMessage, Server, ServerResponse } from "node:http"
import type { Socket } from "node:net"

/**
 * Node's `server.close()` waits for every connection to end, and closes by
 * itself only those idle between keep-alive requests: a client that opened a
 * connection and sent half a request head (or nothing) holds a shutdown up
 * until the deadline. Once `close()` is called, connections without a request
 * in progress are closed at once, and the others as soon as their last
 * response is sent; requests in flight are still answered. Returns the
 * server's open connections, which the rest of the shutdown uses too.
 */
export const closeQuietConnectionsOnClose = (server: Server): ReadonlySet<Socket> => {
  const connections = new Set<Socket>()
  const inFlight = new Map<Socket, number>()
  let closing = false
  server.on("connection", (socket: Socket) => {
    connections.add(socket)
    socket.once("close", () => {
      connections.delete(socket)
      inFlight.delete(socket)
    })
  })
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1)
    // `close` follows `finish`, and also comes when the client leaves first.
    response.once("close", () => {
      const left = (inFlight.get(socket) ?? 1) - 1
      if (left > 0) return void inFlight.set(socket, left)
      inFlight.delete(socket)
      if (closing) socket.end()
    })
  })
  // The platform's only way to stop a server is `close()`: the hook has to be there.
  const close = server.close.bind(server)
  server.close = (callback?: (error?: Error) => void) => {
    closing = true
    for (const socket of connections) if (!inFlight.has(socket)) socket.destroy()
    return close(callback)
  }
  return connections
}
