import { connect } from "node:net"
import { Cause, Context, Effect, Exit, HashMap, Layer, LogLevel, Logger, Option, Redacted, Schema, Scope } from "effect"
import {
  type EngineName,
  EventFeed,
  Gateway,
  type ApiKeyStore,
  type GatewayServices,
  productionGatewayLayer,
  SimulatedPhoneGateway,
  simulatorGatewayLayer,
  type SimulatorOptions,
  type WhatsAppServer
} from "@wa-gateway/adapters"
import type { HttpServer } from "@effect/platform"
import { type OrgId, OrgId as OrgIdSchema } from "@wa-gateway/domain"
import { ApiKeys } from "./auth/api-keys.js"
import { Authenticator } from "./auth/authenticator.js"
import { authenticatorLayer } from "./auth/authenticator-live.js"
import { type ErrorCode, ErrorResponse } from "./errors.js"
import { ApiLive, serverLayer, serverPort, SimulatorApiLive } from "./server.js"

/** A real server on a free port over the in-memory store and the simulator engine, with real API keys. */
export interface TestServer {
  readonly baseUrl: string
  /** A fresh API key of `org` with these capabilities. */
  readonly apiKey: (org: string, capabilities: ReadonlyArray<"read" | "manage">) => Promise<string>
  /** The simulated phone, for pairing without the simulator routes (simulator engine only). */
  readonly phone: Context.Tag.Service<SimulatedPhoneGateway>
  /** Event stream subscribers open now (SSE clients). */
  readonly subscribers: () => number
  readonly close: () => Promise<void>
}

const noJwt = {
  jwksUrl: Option.none(),
  issuer: Option.none(),
  audience: Option.none(),
  orgClaim: "org_id",
  roleClaim: "role"
}

export interface LogEntry {
  readonly level: string
  readonly message: string
  readonly annotations: Record<string, unknown>
  /** `Cause.pretty` of the logged cause; empty when none. */
  readonly cause: string
}

export interface TestServerOptions {
  /** `simulator` unless set; `baileys` runs real Baileys sockets against an unreachable WhatsApp (`UNREACHABLE_WHATSAPP`). */
  readonly engine?: EngineName
  /** Replaces the real (API-key) authenticator. */
  readonly authenticator?: Context.Tag.Service<Authenticator>
  /** Replaces parts of the real gateway (e.g. a failing `ready`). */
  readonly gateway?: (real: Context.Tag.Service<Gateway>) => Context.Tag.Service<Gateway>
  /** Receives every log entry (all levels) instead of the console. */
  readonly logs?: Array<LogEntry>
  /** The simulator engine's options (e.g. a short `qrRotationMs`). */
  readonly simulator?: SimulatorOptions
}

const capture = (logs: Array<LogEntry>) =>
  Layer.merge(
    Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ annotations, cause, logLevel, message }) => {
        const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
        logs.push({
          level: logLevel.label,
          message: text,
          annotations: Object.fromEntries(HashMap.toEntries(annotations)),
          cause: Cause.isEmpty(cause) ? "" : Cause.pretty(cause)
        })
      })
    ),
    Logger.minimumLogLevel(LogLevel.All)
  )

type GatewayOverride = (real: Context.Tag.Service<Gateway>) => Context.Tag.Service<Gateway>

/** A port nothing listens on: the Baileys engine's connections are refused at once, and no test reaches the real WhatsApp. */
export const UNREACHABLE_WHATSAPP: WhatsAppServer = { serverUrl: Option.some("ws://127.0.0.1:1"), certRoot: Option.none(), verifyServerCert: true }

const listen = { port: 0, host: "127.0.0.1" }

const overridden = <R>(real: Layer.Layer<R | Gateway, unknown>, override: GatewayOverride | undefined) =>
  override === undefined ? real : Layer.merge(real, Layer.effect(Gateway, Effect.map(Gateway, override)).pipe(Layer.provide(real)))

/** The HTTP server over a gateway on the simulator engine, whose API includes the `/simulator/v1` routes. */
export const simulatorServer = <A, E>(
  auth: Layer.Layer<A | Authenticator, E, ApiKeyStore>,
  override?: GatewayOverride,
  simulator?: SimulatorOptions
) =>
  serverLayer(listen, SimulatorApiLive).pipe(
    Layer.provideMerge(auth),
    Layer.provideMerge(overridden(simulatorGatewayLayer({ store: { _tag: "memory" }, simulator }), override))
  )

/**
 * The HTTP server over a gateway on this engine: with the simulator, its API
 * includes the `/simulator/v1` routes; with any other, they are not mounted.
 * `override` may replace parts of the facade.
 */
export const serverOnEngine = <A, E>(
  engine: EngineName,
  auth: Layer.Layer<A | Authenticator, E, ApiKeyStore>,
  override?: GatewayOverride,
  simulator?: SimulatorOptions
): Layer.Layer<HttpServer.HttpServer | GatewayServices | A | Authenticator, unknown> =>
  engine === "simulator"
    ? simulatorServer(auth, override, simulator)
    : serverLayer(listen, ApiLive).pipe(
      Layer.provideMerge(auth),
      Layer.provideMerge(overridden(productionGatewayLayer({ store: { _tag: "memory" }, whatsapp: UNREACHABLE_WHATSAPP }), override))
    )

export const startTestServer = async (options: TestServerOptions = {}): Promise<TestServer> => {
  const auth = options.authenticator === undefined
    ? authenticatorLayer(noJwt).pipe(Layer.provideMerge(ApiKeys.Live))
    : Layer.merge(Layer.succeed(Authenticator, options.authenticator), ApiKeys.Live)
  const layer = serverOnEngine(options.engine ?? "simulator", auth, options.gateway, options.simulator).pipe(
    Layer.provide(options.logs === undefined ? Logger.minimumLogLevel(LogLevel.Warning) : capture(options.logs))
  )
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
  const port = Effect.runSync(Effect.provide(serverPort, context))
  const apiKeys = Context.get(context, ApiKeys)
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey: async (org, capabilities) => {
      const [first, ...rest] = capabilities
      if (first === undefined) throw new Error("a key needs at least one capability")
      const orgId: OrgId = OrgIdSchema.make(org)
      const created = await Effect.runPromise(apiKeys.create({ orgId, capabilities: [first, ...rest], label: null }))
      return Redacted.value(created.key)
    },
    get phone() {
      return Option.getOrThrowWith(
        Context.getOption(context, SimulatedPhoneGateway),
        () => new Error("only a server on the simulator engine has a simulated phone")
      )
    },
    subscribers: () => Effect.runSync(Context.get(context, EventFeed).subscribers),
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

export interface Reply {
  readonly status: number
  readonly headers: Headers
  /** The parsed JSON body, or `undefined` when the body is empty or not JSON. */
  readonly body: unknown
  readonly text: string
}

/** One HTTP call: `body` objects are sent as JSON, strings as they are. */
export const call = async (
  server: TestServer,
  method: string,
  path: string,
  options: { readonly token?: string; readonly body?: unknown; readonly headers?: Record<string, string> } = {}
): Promise<Reply> => {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers["authorization"] = `Bearer ${options.token}`
  let body: string | ReadableStream | undefined
  if (typeof options.body === "string" || options.body instanceof ReadableStream) body = options.body
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers["content-type"] ??= "application/json"
  }
  const init: RequestInit & { duplex?: "half" } = { method, headers }
  if (body !== undefined) {
    init.body = body
    // Streams go out chunked (no Content-Length).
    if (body instanceof ReadableStream) init.duplex = "half"
  }
  const response = await fetch(server.baseUrl + path, init)
  const text = await response.text()
  let parsed: unknown = undefined
  try {
    parsed = text === "" ? undefined : JSON.parse(text)
  } catch {
    parsed = undefined
  }
  return { status: response.status, headers: response.headers, body: parsed, text }
}

/**
 * The body decoded as the wire form of `schema`, with no field more or less:
 * every test that reads a body also checks it against the contract.
 */
export const wire = <A, I>(schema: Schema.Schema<A, I>, reply: Reply): I =>
  Schema.decodeUnknownSync(Schema.encodedSchema(schema), { onExcessProperty: "error" })(reply.body)

/** Asserts the envelope of spec/API.md with this status and code, and returns its `error`. */
export const expectEnvelope = (reply: Reply, status: number, code: ErrorCode): ErrorResponse["error"] => {
  if (reply.status !== status) throw new Error(`expected ${status} ${code}, got ${reply.status} ${reply.text}`)
  const { error } = wire(ErrorResponse, reply)
  if (error.code !== code) throw new Error(`expected ${code}, got ${reply.text}`)
  return error
}

/**
 * Bytes written as they are to a fresh connection (for what fetch would never
 * send: no Host, CONNECT, a body shorter than its Content-Length), then, with
 * `halfClose`, the client's side closed. The reply is the server's final
 * answer (after any `100 Continue`), read when the server closes or after
 * `waitMs`; status 0 when none came.
 */
export const rawExchange = (
  server: TestServer,
  bytes: string,
  options: { readonly halfClose?: boolean; readonly waitMs?: number } = {}
): Promise<Reply> =>
  new Promise((resolve) => {
    const url = new URL(server.baseUrl)
    const socket = connect(Number(url.port), url.hostname)
    const chunks: Array<Buffer> = []
    const done = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(parseRawReply(Buffer.concat(chunks).toString("utf8")))
    }
    const timer = setTimeout(done, options.waitMs ?? 2_000)
    socket.on("data", (chunk: Buffer) => chunks.push(chunk))
    socket.on("close", done)
    socket.on("error", () => undefined)
    socket.write(bytes, () => {
      if (options.halfClose === true) socket.end()
    })
  })

const parseRawReply = (raw: string): Reply => {
  const heads = [...raw.matchAll(/HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/g)].filter((match) => match[1] !== "100")
  const last = heads.at(-1)
  const headers = new Headers()
  if (last === undefined) return { status: 0, headers, body: undefined, text: "" }
  const rest = raw.slice((last.index ?? 0) + last[0].length)
  const split = rest.indexOf("\r\n\r\n")
  for (const line of (split === -1 ? rest : rest.slice(0, split)).split("\r\n")) {
    const colon = line.indexOf(":")
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim())
  }
  const length = headers.get("content-length")
  const text = split === -1 ? "" : rest.slice(split + 4, length === null ? undefined : split + 4 + Number(length))
  let body: unknown = undefined
  try {
    body = text === "" ? undefined : JSON.parse(text)
  } catch {
    body = undefined
  }
  return { status: Number(last[1]), headers, body, text }
}
