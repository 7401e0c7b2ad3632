import { Cause, type Context, Effect, Either, Exit, Layer, Logger, LogLevel, ManagedRuntime, Option, type Runtime, Schema, Stream } from "effect"
import { OrgId, PAGE_SIZE, PageCursor, PageSize, PushName, SessionId, SessionName, type StoreUnavailable } from "@wa-gateway/domain"
import { parseCertRoot, parseServerUrl, type WhatsAppServer } from "../engine/baileys/whatsapp-server.js"
import { SubscribableEventType } from "../webhooks/event-types.js"
import type { EventPayload } from "../webhooks/payload.js"
import type { GatewayFailure } from "./error-table.js"
import { Gateway, type PairingCode, type QrChallenge } from "./gateway.js"
import { GatewayOperationError, toGatewayOperationError } from "./gateway-operation-error.js"
import { type EngineName, type GatewayServices, productionGatewayLayer, simulatorGatewayLayer, type StoreOptions } from "./layer.js"
import { type SessionEventEntry, toSessionEventEntry } from "./session-event-entry.js"
import { ReconnectAfterMs, SimulatedPhoneGateway } from "./simulated-phone-gateway.js"
import { type SessionRepresentation, type SessionView, toSessionRepresentation } from "./session-view.js"

export interface CreateGatewayOptions {
  /** `postgres://…`: the PostgreSQL store (migrated on start). */
  readonly databaseUrl?: string | undefined
  /** Without `databaseUrl`: the embedded PGlite store persisted in this directory. Neither: in memory. */
  readonly dataDir?: string | undefined
  readonly engine: EngineName
  /** The org of the top-level operations (default `default`); `forOrg` gives another org's view. */
  readonly orgId?: string | undefined
  /** Seeds the simulator's QR strings, codes and identities. */
  readonly seed?: string | number | undefined
  /**
   * The `baileys` engine's WhatsApp server, for test servers only (as
   * `WA_SERVER_URL`, `WA_SERVER_CERT_ROOT` in base64, `WA_VERIFY_SERVER_CERT`);
   * default: WhatsApp's own, its certificate chain verified.
   */
  readonly whatsapp?: {
    readonly serverUrl?: string | undefined
    readonly certRoot?: string | undefined
    readonly verifyServerCert?: boolean | undefined
  } | undefined
  /** Default `warning`: an embedded gateway stays quiet. */
  readonly logLevel?: "debug" | "info" | "warning" | "error" | "none" | undefined
}

/** Where the next page starts: the last session of the previous page. */
export interface ListCursor {
  readonly createdAt: Date
  readonly sessionId: string
}

/** The session as over HTTP (spec/API.md): identity fields flat, `null` until paired. */
export type Session = SessionRepresentation

/** The simulated phone (simulator engine only; on another engine each call rejects with `not_implemented`). */
export interface SimulatedPhoneHandle {
  readonly scan: (sessionId: string, input: { readonly phoneNumber: string; readonly pushName?: string }) => Promise<Session>
  readonly enterCode: (sessionId: string, input: { readonly code: string; readonly pushName?: string }) => Promise<Session>
  readonly unlink: (sessionId: string) => Promise<Session>
  readonly dropConnection: (sessionId: string, options?: { readonly reconnectAfterMs?: number }) => Promise<Session>
}

/** Every operation of one org. Promises reject with `GatewayOperationError` (see its `code`). */
export interface OrgGateway {
  readonly orgId: string
  readonly create: (input?: { readonly name?: string }) => Promise<Session>
  readonly get: (sessionId: string) => Promise<Session>
  /** Newest first; `pageSize` 1..100 (default 20: `PAGE_SIZE`). */
  readonly list: (options?: { readonly pageSize?: number; readonly after?: ListCursor | null }) => Promise<{
    readonly sessions: ReadonlyArray<Session>
    readonly next: ListCursor | null
  }>
  /** QR pairing: starts it, or returns the QR showing now. */
  readonly startPairing: (sessionId: string) => Promise<QrChallenge>
  readonly requestPairingCode: (sessionId: string, phone: string) => Promise<PairingCode>
  readonly logout: (sessionId: string) => Promise<Session>
  readonly delete: (sessionId: string) => Promise<void>
  /** The paired identity; rejects with `not_found` unless paired. */
  readonly me: (sessionId: string) => Promise<Session>
  /** The session's event history, oldest first. */
  readonly events: (sessionId: string) => Promise<ReadonlyArray<SessionEventEntry>>
  /**
   * The org's lifecycle events (spec/EVENTS.md payloads) as they happen, for
   * `for await`. `after`: resume after that log position; `types`: default
   * every durable type (`session.qr` only when named); `sessionIds`: default
   * every session. Leaving the loop ends the subscription.
   */
  readonly subscribe: (options?: SubscribeOptions) => AsyncIterable<SubscribedEvent>
  readonly phone: SimulatedPhoneHandle
}

export interface SubscribeOptions {
  readonly after?: number | bigint
  readonly types?: ReadonlyArray<string>
  readonly sessionIds?: ReadonlyArray<string>
}

/** One event of `subscribe`: the payload, with its log position (`null` for connection changes and QR codes). */
export interface SubscribedEvent extends EventPayload {
  readonly position: number | null
}

export interface EmbeddedGateway extends OrgGateway {
  readonly forOrg: (orgId: string) => OrgGateway
  /** Stops the engine's sockets (without logging out) and closes the store. */
  readonly close: () => Promise<void>
}

const storeOf = (options: CreateGatewayOptions): StoreOptions =>
  options.databaseUrl !== undefined
    ? { _tag: "postgres", url: options.databaseUrl }
    : options.dataDir !== undefined
    ? { _tag: "pglite", dataDir: options.dataDir }
    : { _tag: "memory" }

const logLevels = {
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warning: LogLevel.Warning,
  error: LogLevel.Error,
  none: LogLevel.None
} as const

/** The plain-JS `whatsapp` option, checked as the environment variables are; a wrong value is a programming error. */
const whatsAppServerOf = (option: CreateGatewayOptions["whatsapp"]): WhatsAppServer => {
  const checked = <A>(name: string, text: string | undefined, parse: (text: string) => Either.Either<A, string>): Option.Option<A> =>
    text === undefined ? Option.none() : Option.some(Either.getOrThrowWith(parse(text), (why) => new TypeError(`whatsapp.${name} ${why}`)))
  return {
    serverUrl: checked("serverUrl", option?.serverUrl, parseServerUrl),
    certRoot: checked("certRoot", option?.certRoot, parseCertRoot),
    verifyServerCert: option?.verifyServerCert ?? true
  }
}

/** A typed error of the gateway, or a promise-API check of its own. */
type Failure = GatewayFailure | GatewayOperationError

const invalid = (message: string) => Effect.fail(new GatewayOperationError("validation_error", "InvalidInput", message))

/** API.md: `name?: string ≤ 100 chars`; plain JS callers may pass anything. */
const CreateInput = Schema.UndefinedOr(Schema.Struct({ name: Schema.optional(SessionName) }))

/** Decodes what a plain JS caller passed; a wrong shape is `validation_error`, never a defect. */
const checked = <A, I>(schema: Schema.Schema<A, I>, input: unknown, message: string): Effect.Effect<A, GatewayOperationError> =>
  Schema.decodeUnknown(schema)(input).pipe(Effect.orElse(() => invalid(message)))

const createInputOf = (input: unknown): Effect.Effect<{ readonly name: string }, GatewayOperationError> =>
  Effect.map(
    checked(CreateInput, input, "name must be a string of at most 100 characters, without NUL or unpaired surrogates"),
    (decoded) => ({ name: decoded?.name ?? "" })
  )

const OptionalPushName = Schema.optionalWith(PushName, { exact: true })
const ScanInput = Schema.Struct({ phoneNumber: Schema.String, pushName: OptionalPushName })
const EnterCodeInput = Schema.Struct({ code: Schema.String, pushName: OptionalPushName })
const DropOptions = Schema.UndefinedOr(Schema.Struct({ reconnectAfterMs: Schema.optionalWith(ReconnectAfterMs, { exact: true }) }))
const SubscribeInput = Schema.UndefinedOr(Schema.Struct({
  after: Schema.optionalWith(Schema.Union(Schema.NonNegativeInt, Schema.BigIntFromSelf.pipe(Schema.nonNegativeBigInt())), { exact: true }),
  types: Schema.optionalWith(Schema.Array(SubscribableEventType), { exact: true }),
  sessionIds: Schema.optionalWith(Schema.Array(SessionId), { exact: true })
}))

/** A malformed session id names no session: `not_found`, as over HTTP. */
const sessionIdOf = (text: string): Effect.Effect<SessionId, GatewayOperationError> =>
  Option.match(Schema.decodeUnknownOption(SessionId)(text), {
    onNone: () => Effect.fail(new GatewayOperationError("not_found", "SessionNotFound", "session not found")),
    onSome: Effect.succeed
  })

/**
 * The gateway for plain Node code: no HTTP, no Effect in sight.
 *
 * ```ts
 * const gateway = await createGateway({ engine: "simulator" })
 * const session = await gateway.create({ name: "support" })
 * const { qr } = await gateway.startPairing(session.sessionId)
 * await gateway.phone.scan(session.sessionId, { phoneNumber: "628123456789" })
 * console.log((await gateway.me(session.sessionId)).waJid)
 * await gateway.close()
 * ```
 */
export const createGateway = async (options: CreateGatewayOptions): Promise<EmbeddedGateway> => {
  const defaultOrg = options.orgId ?? "default"
  const store = storeOf(options)
  // A simulator gateway provides more (its simulated phone), which `phone` below looks up.
  const gateway: Layer.Layer<GatewayServices, StoreUnavailable> = options.engine === "simulator"
    ? simulatorGatewayLayer({ store, simulator: options.seed === undefined ? {} : { seed: options.seed } })
    : productionGatewayLayer({ store, whatsapp: whatsAppServerOf(options.whatsapp) })
  const layer = gateway.pipe(Layer.provide(Logger.minimumLogLevel(logLevels[options.logLevel ?? "warning"])))
  const runtime = ManagedRuntime.make(layer)
  let closed = false

  const run = async <A>(effect: Effect.Effect<A, Failure, GatewayServices>): Promise<A> => {
    if (closed) throw new GatewayOperationError("unavailable", "Closed", "the gateway is closed")
    const exit = await runtime.runPromiseExit(effect)
    if (Exit.isSuccess(exit)) return exit.value
    throw toGatewayOperationError(exit.cause)
  }

  let started: Runtime.Runtime<GatewayServices>
  try {
    started = await runtime.runtime()
  } catch (cause) {
    await runtime.dispose()
    throw new GatewayOperationError("unavailable", "StartFailed", "the gateway could not start (store unreachable?)", { cause })
  }

  const forOrg = (orgText: string): OrgGateway => {
    const org = Schema.decodeUnknownOption(OrgId)(orgText)
    const withOrg = <A>(f: (orgId: OrgId) => Effect.Effect<A, Failure, GatewayServices>): Effect.Effect<A, Failure, GatewayServices> =>
      Option.match(org, { onNone: () => invalid("orgId must be 1–200 characters, without NUL or unpaired surrogates"), onSome: f })
    const onSession = <A>(
      sessionText: string,
      f: (gateway: Context.Tag.Service<Gateway>, orgId: OrgId, sessionId: SessionId) => Effect.Effect<A, Failure, GatewayServices>
    ): Promise<A> =>
      run(withOrg((orgId) =>
        Effect.flatMap(sessionIdOf(sessionText), (sessionId) => Effect.flatMap(Gateway, (g) => f(g, orgId, sessionId)))))
    const onView = (
      sessionText: string,
      f: (gateway: Context.Tag.Service<Gateway>, orgId: OrgId, sessionId: SessionId) => Effect.Effect<SessionView, Failure, GatewayServices>
    ): Promise<Session> => onSession(sessionText, (g, orgId, id) => Effect.map(f(g, orgId, id), toSessionRepresentation))
    const onPhone = (
      sessionText: string,
      f: (phone: Context.Tag.Service<SimulatedPhoneGateway>, orgId: OrgId, sessionId: SessionId) => Effect.Effect<SessionView, Failure>
    ): Promise<Session> =>
      run(withOrg((orgId) =>
        Effect.gen(function* () {
          const sessionId = yield* sessionIdOf(sessionText)
          const phone = yield* Effect.serviceOption(SimulatedPhoneGateway)
          if (Option.isNone(phone)) {
            return yield* Effect.fail(new GatewayOperationError("not_implemented", "NoSimulatedPhone", "only the simulator engine has a simulated phone"))
          }
          return toSessionRepresentation(yield* f(phone.value, orgId, sessionId))
        })))

    return {
      orgId: orgText,
      create: (input) =>
        run(withOrg((orgId) =>
          Effect.flatMap(createInputOf(input), (checked) => Effect.flatMap(Gateway, (g) => Effect.map(g.create(orgId, checked), toSessionRepresentation))))),
      get: (sessionId) => onView(sessionId, (g, orgId, id) => g.get(orgId, id)),
      list: (page) =>
        run(withOrg((orgId) =>
          Effect.gen(function* () {
            const pageSize = yield* checked(
              PageSize,
              page?.pageSize ?? PAGE_SIZE.default,
              `pageSize must be an integer from ${PAGE_SIZE.min} to ${PAGE_SIZE.max}`
            )
            const after = page?.after ?? null
            // Its date must be one the store can compare against.
            const cursor = after === null ? null : yield* checked(PageCursor, after, "not a cursor of this gateway")
            const result = yield* (yield* Gateway).list(orgId, { pageSize, after: cursor })
            const last = result.sessions.at(-1)
            return {
              sessions: result.sessions.map(toSessionRepresentation),
              next: result.hasMore && last !== undefined ? { createdAt: last.createdAt, sessionId: last.sessionId } : null
            }
          }))),
      startPairing: (sessionId) => onSession(sessionId, (g, orgId, id) => g.qr(orgId, id)),
      requestPairingCode: (sessionId, phone) =>
        onSession(sessionId, (g, orgId, id) =>
          Effect.flatMap(checked(Schema.String, phone, "phone must be a string of digits"), (text) => g.requestPairingCode(orgId, id, text))),
      logout: (sessionId) => onView(sessionId, (g, orgId, id) => g.logout(orgId, id)),
      delete: (sessionId) => onSession(sessionId, (g, orgId, id) => g.delete(orgId, id)),
      me: (sessionId) => onView(sessionId, (g, orgId, id) => g.me(orgId, id)),
      events: (sessionId) =>
        onSession(sessionId, (g, orgId, id) =>
          Effect.map(g.events(orgId, id), (events) => events.map(toSessionEventEntry))),
      subscribe: (input) => {
        const events: Stream.Stream<SubscribedEvent, GatewayOperationError, GatewayServices> = Stream.unwrap(Effect.gen(function* () {
          if (closed) return yield* Effect.fail(new GatewayOperationError("unavailable", "Closed", "the gateway is closed"))
          const orgId = yield* Option.match(org, { onNone: () => invalid("orgId must be 1–200 characters"), onSome: Effect.succeed })
          const options = yield* checked(SubscribeInput, input, "subscribe takes { after?: integer ≥ 0, types?: event types, sessionIds?: session ids }")
          const gateway = yield* Gateway
          return gateway.subscribe(orgId, {
            ...(options?.after === undefined ? {} : { after: BigInt(options.after) }),
            ...(options?.types === undefined ? {} : { types: options.types }),
            ...(options?.sessionIds === undefined ? {} : { sessionIds: options.sessionIds })
          }).pipe(Stream.map((event): SubscribedEvent => ({ ...event.payload, position: event.position === null ? null : Number(event.position) })))
        })).pipe(Stream.mapError((e) => toGatewayOperationError(Cause.fail(e))))
        return Stream.toAsyncIterableRuntime(events, started)
      },
      phone: {
        scan: (sessionId, input) =>
          onPhone(sessionId, (p, orgId, id) =>
            Effect.flatMap(checked(ScanInput, input, "scan takes { phoneNumber: string, pushName?: string }"), (i) => p.scan(orgId, id, i))),
        enterCode: (sessionId, input) =>
          onPhone(sessionId, (p, orgId, id) =>
            Effect.flatMap(checked(EnterCodeInput, input, "enterCode takes { code: string, pushName?: string }"), (i) => p.enterCode(orgId, id, i))),
        unlink: (sessionId) => onPhone(sessionId, (p, orgId, id) => p.unlink(orgId, id)),
        dropConnection: (sessionId, dropOptions) =>
          onPhone(sessionId, (p, orgId, id) =>
            Effect.flatMap(
              checked(DropOptions, dropOptions, "reconnectAfterMs must be an integer from 0 to 3600000"),
              (options) => p.dropConnection(orgId, id, options ?? {})
            ))
      }
    }
  }

  return {
    ...forOrg(defaultOrg),
    forOrg,
    close: async () => {
      if (closed) return
      closed = true
      await runtime.dispose()
    }
  }
}
