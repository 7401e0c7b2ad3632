import { createServer, type Server } from "node:http"
import { type HttpApi, HttpApiBuilder, HttpApiScalar, HttpMiddleware, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import type { ServeError } from "@effect/platform/HttpServerError"
import { Effect, Layer, type LogLevel, Logger } from "effect"
import type { Gateway, SimulatedPhoneGateway } from "@wa-gateway/adapters"
import { GatewayApi, SimulatorGatewayApi } from "./api.js"
import type { Authenticator } from "./auth/authenticator.js"
import { toErrorResponse, ValidationError } from "./errors.js"
import { HealthLive } from "./health/handlers.js"
import { Authentication } from "./middleware/authentication.js"
import { envelope } from "./middleware/envelope.js"
import { requestLog } from "./middleware/request-log.js"
import { SessionsLive } from "./sessions/handlers.js"
import { SimulatorLive } from "./simulator/handlers.js"

/**
 * Requests Node's parser refuses (request line or headers too large, bad
 * syntax) never reach the app; answer them in the envelope too.
 */
const createEnvelopedServer = (): Server => {
  const server = createServer()
  const body = JSON.stringify(
    toErrorResponse(new ValidationError({ message: "malformed HTTP request, or request line or headers too large", details: {} }))
  )
  server.on("clientError", (_error, socket) => {
    if (!socket.writable) return socket.destroy()
    socket.end(
      "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\n" +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
    )
  })
  return server
}

export interface ListenOptions {
  readonly port: number
  readonly host: string
}

/** The API of the production engine: every group with its handlers and the auth middleware. */
export const ApiLive: Layer.Layer<HttpApi.Api, never, Gateway | Authenticator> = HttpApiBuilder.api(GatewayApi).pipe(
  Layer.provide([SessionsLive, HealthLive]),
  Layer.provide(Authentication.Live)
)

/** The API of the simulator engine: the same, plus the `/simulator/v1` routes of its simulated phone. */
export const SimulatorApiLive: Layer.Layer<HttpApi.Api, never, Gateway | SimulatedPhoneGateway | Authenticator> =
  HttpApiBuilder.api(SimulatorGatewayApi).pipe(
    Layer.provide([SessionsLive, SimulatorLive, HealthLive]),
    Layer.provide(Authentication.Live)
  )

/**
 * The HTTP server on `options.port` (0 → a free port; read it with
 * `serverPort`) serving `api` (`ApiLive` or `SimulatorApiLive`), with
 * `/openapi.json` and `/docs` of it, the error envelope everywhere and one
 * log line per request. Closing the layer stops accepting connections and
 * waits for in-flight requests (what SIGTERM does through `NodeRuntime.runMain`).
 */
export const serverLayer = <R>(
  options: ListenOptions,
  api: Layer.Layer<HttpApi.Api, never, R>
): Layer.Layer<HttpServer.HttpServer, ServeError, R> =>
  HttpApiBuilder.serve(requestLog).pipe(
    Layer.provide(HttpApiScalar.layer({ path: "/docs" })),
    Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
    Layer.provide(HttpApiBuilder.middleware(envelope)),
    Layer.provide(api),
    // The gateway exports no traces: a server span per request (a dozen
    // attributes copied from the headers) would cost CPU and go nowhere.
    HttpMiddleware.withTracerDisabledWhen(() => true),
    HttpServer.withLogAddress,
    Layer.provideMerge(NodeHttpServer.layer(createEnvelopedServer, { port: options.port, host: options.host }))
  )

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
