import type { Sharding } from "@effect/cluster"
import { AlreadyProcessingMessage, MailboxFull, PersistenceError } from "@effect/cluster/ClusterError"
import { EngineUnavailable, type OrgId, type SessionId, type SessionNotFound, SessionService, StoreUnavailable } from "@wa-gateway/domain"
import { Duration, Effect, Layer } from "effect"
import { SessionPlacement } from "../gateway/session-placement.js"
import { WaSession } from "./wa-session-entity.js"

/** Longer than the owner's own bound on a command (WhatsApp's first challenge: 25 s). */
const COMMAND_TIMEOUT = Duration.seconds(40)

type Delivery = MailboxFull | AlreadyProcessingMessage | PersistenceError

const isDelivery = (error: unknown): error is Delivery =>
  error instanceof MailboxFull || error instanceof AlreadyProcessingMessage || error instanceof PersistenceError

const unreachable = "the gateway process that owns the session did not answer in time"

/** The cluster's own delivery failures as the gateway's 503s: the engine's where the command has one, else the store's. */
const engineUnavailable = (error: Delivery | null) =>
  error instanceof PersistenceError
    ? new StoreUnavailable({ message: "the cluster's message storage is unavailable" })
    : new EngineUnavailable({ message: error === null ? unreachable : "the session is busy; retry" })
const storeUnavailable = (error: Delivery | null) =>
  new StoreUnavailable({ message: error instanceof PersistenceError ? "the cluster's message storage is unavailable" : unreachable })

/**
 * Commands go to the session's owner, wherever it runs, through the
 * `WaSession` entity's client. The session is looked up here first: a
 * missing one (or another org's) is answered without waking an entity.
 */
export const ClusterPlacement: Layer.Layer<SessionPlacement, never, SessionService | Sharding.Sharding> = Layer.effect(
  SessionPlacement,
  Effect.gen(function* () {
    const sessions = yield* SessionService
    const client = yield* WaSession.client

    const onOwner = <A, E, F>(
      orgId: OrgId,
      sessionId: SessionId,
      send: Effect.Effect<A, E | Delivery>,
      failure: (error: Delivery | null) => F
    ): Effect.Effect<A, E | F | SessionNotFound | StoreUnavailable> =>
      Effect.zipRight(
        sessions.get(orgId, sessionId),
        send.pipe(
          Effect.catchIf(isDelivery, (e) => Effect.fail(failure(e))),
          Effect.timeoutFail({ duration: COMMAND_TIMEOUT, onTimeout: () => failure(null) })
        )
      )

    return SessionPlacement.of({
      qr: (orgId, sessionId) => onOwner(orgId, sessionId, client(sessionId).Qr({ orgId }), engineUnavailable),
      requestPairingCode: (orgId, sessionId, phone) =>
        onOwner(orgId, sessionId, client(sessionId).RequestPairingCode({ orgId, phone }), engineUnavailable),
      logout: (orgId, sessionId) => onOwner(orgId, sessionId, client(sessionId).Logout({ orgId }), engineUnavailable),
      delete: (orgId, sessionId) => onOwner(orgId, sessionId, client(sessionId).Delete({ orgId }), storeUnavailable)
    })
  })
)
