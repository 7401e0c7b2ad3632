import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { Duplex } from "node:stream"
import { type HttpApi, HttpApiBuilder, HttpApiScalar, HttpMiddleware, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import type { ServeError } from "@effect/platform/HttpServerError"
import { Effect, flow, Layer, type LogLevel, Logger, Option } from "effect"
import type { Gateway, GatewayMetrics, SimulatedPhoneGateway } from "@wa-gateway/adapters"
import { GatewayApi, SimulatorGatewayApi } from "./api.js"
import type { Authenticator } from "./auth/authenticator.js"
import { drainConnections } from "./drain-on-shutdown.js"
import { type ApiError, NotFound, toErrorResponse, ValidationError } from "./errors.js"
import { HealthLive } from "./health/handlers.js"
import { Authentication } from "./middleware/authentication.js"
import { EventsLive } from "./events/handlers.js"
import { envelope } from "./middleware/envelope.js"
import { requestLog } from "./middleware/request-log.js"
import { closeQuietConnectionsOnClose } from "./quiet-connections.js"
import { makeNodeReadPath, type NodeReadPathSlot, type NodeRequestTaker } from "./sessions/node-read-path.js"
import { sessionReadsFastPath } from "./sessions/read-fast-path.js"
import { SessionsLive } from "./sessions/handlers.js"
import { SimulatorLive } from "./simulator/handlers.js"
import { WebhooksLive } from "./webhooks/handlers.js"
import { metricsRoutes, type MetricsOptions } from "./metrics/metrics-routes.js"
import { requestMetrics } from "./metrics/request-metrics.js"
import { requestSpan } from "./tracing/request-span.js"
import { uiRoutesWhen } from "./ui/routes.js"

/** A whole HTTP/1.1 answer in the envelope, for the hooks below the app, which then closes the connection. */
const rawAnswer = (status: number, reason: string, error: ApiError): string => {
  const body = JSON.stringify(toErrorResponse(error))
  return `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\nconnection: close\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
}

const malformedRequest = rawAnswer(
  400,
  "Bad Request",
  new ValidationError({ message: "malformed HTTP request, or request line or headers too large", details: {} })
)

const connectRefused = rawAnswer(404, "Not Found", new NotFound({ message: "route not found", details: { method: "CONNECT" } }))

const unsupportedExpectation = JSON.stringify(toErrorResponse(
  new ValidationError({ message: "the Expect header is not supported (only 100-continue is)", details: {} })
))

/**
 * Node answers some requests itself, with an empty body or none at all; each
 * of them is answered in the envelope here instead:
 * - what its parser refuses (bad syntax, request line or headers too large);
 * - an `Expect` other than 100-continue (Node: 417, empty; here 400
 *   validation_error, the contract's code for a malformed request);
 * - `CONNECT` (Node: the socket closed without a word; here 404 not_found like
 *   any method no route takes);
 * - an HTTP/1.1 request without `Host` (Node: 400, empty): Node's check is off
 *   and the envelope middleware makes it (`refuseEarly`).
 * And a client's reset of a socket Node handed over must not end the process,
 * and a shutdown closes kept-alive connections (`drainConnections`) and those
 * with no request in progress (`closeQuietConnectionsOnClose`).
 */
/**
 * The platform listens on the port while the layers are built and attaches
 * its request handler only afterwards: a request accepted in between would
 * never be answered. Hold those and replay them once the handler is there.
 * Call it after the server's own request listeners are on: the next one
 * added is the platform's.
 */
export const holdRequestsUntilServed = (
  server: Server,
  options: {
    /** Called when the platform detaches its handler, the first step of its shutdown. */
    readonly onDetached?: () => void
    /** Asked first about each request the platform's handler would get; what it takes the platform never sees. */
    readonly front?: NodeRequestTaker
  } = {}
): void => {
  const { onDetached, front } = options
  const held: Array<readonly [IncomingMessage, ServerResponse]> = []
  const hold = (request: IncomingMessage, response: ServerResponse) => held.push([request, response])
  const onNewListener = (event: string | symbol, platform: (request: IncomingMessage, response: ServerResponse) => void) => {
    if (event !== "request" || platform === hold) return
    server.off("newListener", onNewListener)
    server.off("request", hold)
    // `newListener` fires before the handler is added: act on the next tick, once it is.
    process.nextTick(() => {
      if (front !== undefined) {
        // In the platform's place, the front first. Marked as the platform's
        // (as `once` marks its wrappers), so the platform's own `off` removes it.
        const inFront = Object.assign(
          (request: IncomingMessage, response: ServerResponse) => {
            if (!front(request, response)) platform(request, response)
          },
          { listener: platform }
        )
        server.off("request", platform)
        server.on("request", inFront)
      }
      // The platform detaches its handler first when it shuts down.
      if (onDetached !== undefined) {
        const onRemoveListener = (removedEvent: string | symbol, removed: unknown) => {
          if (removedEvent !== "request" || removed !== platform) return
          server.off("removeListener", onRemoveListener)
          onDetached()
        }
        server.on("removeListener", onRemoveListener)
      }
      for (const [request, response] of held.splice(0)) server.emit("request", request, response)
    })
  }
  server.on("newListener", onNewListener)
  server.on("request", hold)
}

/**
 * No route speaks WebSocket or h2c. While anything listens for `upgrade`,
 * Node hands a request with `Connection: upgrade` over raw, and the
 * platform's upgrade path waits for ever on a client that resets such a
 * socket, which then holds every shutdown until its deadline. With no
 * listener Node serves it as the plain request it also is (RFC 9110 §7.8:
 * a server may ignore Upgrade), with every guard of the other requests.
 */
const serveUpgradesAsRequests = (server: Server): void => {
  server.on("newListener", (event: string | symbol, listener: (...args: ReadonlyArray<unknown>) => void) => {
    // `newListener` fires before the listener is added: take it off once it is.
    if (event === "upgrade") process.nextTick(() => server.off("upgrade", listener))
  })
}

const createEnvelopedServer = (readPath: NodeReadPathSlot): Server => {
  const server = createServer({ requireHostHeader: false })
  // The last response of each connection: while it is half written, a second
  // answer on the same socket would corrupt it (Node's own rule).
  const lastResponse = new WeakMap<Duplex, ServerResponse>()
  server.on("request", (request: IncomingMessage, response: ServerResponse) => lastResponse.set(request.socket, response))
  const midResponse = (socket: Duplex): boolean => {
    const response = lastResponse.get(socket)
    return response !== undefined && response.headersSent && !response.writableEnded
  }
  server.on("clientError", (_error, socket) => {
    if (!socket.writable || midResponse(socket)) return socket.destroy()
    socket.end(malformedRequest)
  })
  server.on("checkExpectation", (_request: IncomingMessage, response: ServerResponse) => {
    response.writeHead(400, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(unsupportedExpectation),
      connection: "close"
    })
    response.end(unsupportedExpectation)
  })
  // Node stops watching the socket of a CONNECT: a client's reset there would
  // be an uncaught error that ends the process.
  const closeOnError = (socket: Duplex) => socket.on("error", () => socket.destroy())
  serveUpgradesAsRequests(server)
  server.on("connect", (_request: IncomingMessage, socket: Duplex) => {
    closeOnError(socket)
    socket.end(connectRefused)
  })
  const connections = closeQuietConnectionsOnClose(server)
  holdRequestsUntilServed(server, {
    onDetached: () => {
      readPath.current = undefined
      server.on("request", drainConnections(connections, (socket) => lastResponse.get(socket)))
    },
    front: (request, response) => readPath.current !== undefined && readPath.current(request, response)
  })
  return server
}

export interface ListenOptions {
  readonly port: number
  readonly host: string
  /** Serve the dashboard under `/ui` (`UI_ENABLED`; default true). */
  readonly ui?: boolean
  /** `/metrics`: open unless a token is set; without process metrics unless asked (default). */
  readonly metrics?: MetricsOptions
  /** A server span per request (`OTEL_EXPORTER_OTLP_ENDPOINT` set); off (default), no request pays for one. */
  readonly tracing?: boolean
}

/** The API of the production engine: every group with its handlers and the auth middleware. */
export const ApiLive: Layer.Layer<HttpApi.Api, never, Gateway | Authenticator> = HttpApiBuilder.api(GatewayApi).pipe(
  Layer.provide([SessionsLive, WebhooksLive, EventsLive, HealthLive]),
  Layer.provide(Authentication.Live)
)

/** The API of the simulator engine: the same, plus the `/simulator/v1` routes of its simulated phone. */
export const SimulatorApiLive: Layer.Layer<HttpApi.Api, never, Gateway | SimulatedPhoneGateway | Authenticator> =
  HttpApiBuilder.api(SimulatorGatewayApi).pipe(
    Layer.provide([SessionsLive, WebhooksLive, EventsLive, SimulatorLive, HealthLive]),
    Layer.provide(Authentication.Live)
  )

/**
 * The HTTP server on `options.port` (0 → a free port; read it with
 * `serverPort`) serving `api` (`ApiLive` or `SimulatorApiLive`), with
 * `/openapi.json` and `/docs` of it, the error envelope everywhere and one
 * log line per request, and the fast path of the session reads in front of
 * the router. Closing the layer stops accepting connections and waits for
 * in-flight requests (what SIGTERM does through `NodeRuntime.runMain`).
 */
export const serverLayer = <R>(
  options: ListenOptions,
  api: Layer.Layer<HttpApi.Api, never, R>
): Layer.Layer<HttpServer.HttpServer, ServeError, R | Gateway | Authenticator | GatewayMetrics> => {
  const readPath: NodeReadPathSlot = { current: undefined }
  // With tracing on, the reads go the platform's way, where the server span is made.
  const nodeReadPath = options.tracing === true
    ? Layer.empty
    : Layer.effectDiscard(Effect.map(makeNodeReadPath, (take) => {
      readPath.current = take
    }))
  return HttpApiBuilder.serve((app) => options.tracing === true ? requestSpan(requestLog(requestMetrics(app))) : requestLog(requestMetrics(app))).pipe(
    Layer.provide(HttpApiScalar.layer({ path: "/docs" })),
    Layer.provide(metricsRoutes(options.metrics ?? { token: Option.none(), processMetrics: false })),
    Layer.provide(uiRoutesWhen(options.ui ?? true)),
    Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
    Layer.provide(HttpApiBuilder.middleware(Effect.map(sessionReadsFastPath, (fastPath) => flow(fastPath, envelope)))),
    Layer.provide(api),
    // The platform's own server span copies every header and the URL into
    // attributes: never wanted (with tracing on, `requestSpan` makes a lean one).
    HttpMiddleware.withTracerDisabledWhen(() => true),
    HttpServer.withLogAddress,
    Layer.provide(nodeReadPath),
    Layer.provideMerge(NodeHttpServer.layer(() => createEnvelopedServer(readPath), { port: options.port, host: options.host }))
  )
}

/** The TCP port the server listens on (useful after asking for port 0). */
export const serverPort: Effect.Effect<number, never, HttpServer.HttpServer> = Effect.map(
  HttpServer.HttpServer,
  (server) => server.address._tag === "TcpAddress" ? server.address.port : 0
)

/**
 * Effect's JSON lines written straight to stdout: through `console.log` (what
 * `Logger.json` uses) a request line cost the server about a quarter of its
 * throughput at LOG_LEVEL=info (bench/http-get.ts).
 */
const jsonLinesToStdout = Logger.make((options) => {
  process.stdout.write(`${Logger.jsonLogger.log(options)}\n`)
})

/** Structured JSON log lines at `level` and above. */
export const jsonLogging = (level: LogLevel.LogLevel): Layer.Layer<never> =>
  Layer.merge(Logger.replace(Logger.defaultLogger, jsonLinesToStdout), Logger.minimumLogLevel(level))
