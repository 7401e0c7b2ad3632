import type { ServerResponse } from "node:http"
import type { Duplex } from "node:stream"
import { toErrorResponse, Unavailable } from "./errors.js"

const shuttingDown = JSON.stringify(toErrorResponse(
  new Unavailable({ message: "the server is shutting down; retry on another instance or after the restart", details: {} })
))

/**
 * What the server does once the platform has detached its request handler,
 * the first step of its shutdown (it then closes the server, which stops
 * accepting and waits until every connection has ended). Node closes only
 * the connections idle at that moment: a kept-alive one would linger until
 * its keep-alive timeout, and a request arriving on it would find no handler
 * and never be answered. So from then on an answer not yet begun says
 * `Connection: close`, one being written closes its connection when done,
 * and a request that arrives gets 503 unavailable in the envelope.
 *
 * `connections` are the server's open sockets and `responseOf` the last
 * response of each; returns the request listener to add once detached.
 */
export const drainConnections = (
  connections: Iterable<Duplex>,
  responseOf: (socket: Duplex) => ServerResponse | undefined
): (request: unknown, response: ServerResponse) => void => {
  for (const socket of connections) {
    const response = responseOf(socket)
    if (response === undefined || response.writableEnded) continue
    if (!response.headersSent) response.shouldKeepAlive = false
    else response.once("finish", () => socket.end())
  }
  return (_request, response) => {
    response.shouldKeepAlive = false
    response.writeHead(503, { "content-type": "application/json", "content-length": Buffer.byteLength(shuttingDown) })
    response.end(shuttingDown)
  }
}
