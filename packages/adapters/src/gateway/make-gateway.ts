import { type Context, Effect, Option } from "effect"
import {
  AlreadyPaired,
  DeleteSession,
  EventStore,
  FailPairing,
  Logout,
  makeKeyedLock,
  NotPaired,
  type OrgId,
  type PairingRequest,
  PhoneNumber,
  SessionEngine,
  type SessionId,
  SessionNotFound,
  SessionService,
  StartPairing
} from "@wa-gateway/domain"
import { SessionSupervisor } from "../engine/session-supervisor.js"
import type { Gateway, QrChallenge } from "./gateway.js"
import { toSessionView } from "./session-view.js"

/** A failure the operation's preconditions rule out: a bug, so a defect rather than a typed error. */
const bug = (error: { readonly _tag: string }) => Effect.die(error)

/**
 * The Gateway facade over the domain service, the engine and the supervisor.
 * Operations that touch both the stream and the engine run one at a time per
 * session, and never leave the stream claiming what the engine did not do.
 */
export const makeGateway = Effect.gen(function* () {
  const sessions = yield* SessionService
  const engine = yield* SessionEngine
  const supervisor = yield* SessionSupervisor
  const store = yield* EventStore
  const lock = yield* makeKeyedLock
  const view = toSessionView(supervisor)

  /** Records the pairing, then starts it on the engine; if the engine fails, the stream says so too. */
  const startPairing = (orgId: OrgId, sessionId: SessionId, command: StartPairing, request: () => PairingRequest) =>
    Effect.gen(function* () {
      yield* sessions.execute(orgId, sessionId, command).pipe(
        Effect.catchTags({ SessionExists: bug, NotPaired: bug, NotPairing: bug })
      )
      return yield* engine.startPairing(sessionId, request()).pipe(
        Effect.tapError((cause) =>
          sessions.execute(orgId, sessionId, new FailPairing({ reason: "engine_error" })).pipe(
            Effect.catchAll((e) => Effect.logWarning("could not record the engine's pairing failure", e)),
            Effect.zipRight(Effect.logWarning("the engine could not start pairing", cause)),
            Effect.annotateLogs({ sessionId })
          ))
      )
    })

  const qr = (orgId: OrgId, sessionId: SessionId) =>
    Effect.gen(function* () {
      const state = yield* sessions.load(orgId, sessionId)
      if (state.status === "paired") return yield* Effect.fail(new AlreadyPaired({ sessionId }))
      if (state.status === "pairing" && state.pairing?.method === "qr") {
        const current = yield* engine.currentChallenge(sessionId)
        if (Option.isSome(current) && current.value._tag === "Qr") {
          return { qr: current.value.qr, expiresAt: current.value.expiresAt } satisfies QrChallenge
        }
      }
      // Not pairing, pairing by code, or the engine forgot (restart, expiry): start anew.
      const challenge = yield* startPairing(orgId, sessionId, new StartPairing({ method: "qr" }), () => ({ _tag: "Qr" })).pipe(
        Effect.catchTag("InvalidPhone", bug)
      )
      if (challenge._tag !== "Qr") return yield* Effect.dieMessage("the engine answered a QR request with a code")
      return { qr: challenge.qr, expiresAt: challenge.expiresAt } satisfies QrChallenge
    }).pipe(lock.withLock(sessionId))

  const requestPairingCode = (orgId: OrgId, sessionId: SessionId, phone: string) =>
    Effect.gen(function* () {
      // The decider checks the session, then `AlreadyPaired`, then the phone (`InvalidPhone`);
      // so the phone is valid by the time the engine request is built.
      const challenge = yield* startPairing(orgId, sessionId, new StartPairing({ method: "code", phone }), () => ({
        _tag: "Code",
        phone: PhoneNumber.make(phone)
      }))
      if (challenge._tag !== "Code") return yield* Effect.dieMessage("the engine answered a code request with a QR")
      return { code: challenge.code, expiresAt: challenge.expiresAt }
    }).pipe(lock.withLock(sessionId))

  const logout = (orgId: OrgId, sessionId: SessionId) =>
    Effect.gen(function* () {
      const state = yield* sessions.load(orgId, sessionId)
      if (state.status !== "paired") return yield* Effect.fail(new NotPaired({ sessionId }))
      // Unlink first: if the engine cannot, the session is still paired and says so.
      yield* engine.logout(sessionId)
      const outcome = yield* sessions.execute(orgId, sessionId, new Logout({ by: "user" })).pipe(
        Effect.catchTags({ SessionExists: bug, AlreadyPaired: bug, NotPairing: bug, InvalidPhone: bug })
      )
      yield* supervisor.loggedOut(sessionId)
      if (outcome.record === null) return yield* Effect.dieMessage("a logged-out session has no read model")
      return yield* view(outcome.record)
    }).pipe(lock.withLock(sessionId))

  const remove = (orgId: OrgId, sessionId: SessionId) =>
    Effect.gen(function* () {
      yield* sessions.execute(orgId, sessionId, new DeleteSession()).pipe(
        Effect.catchTags({ SessionExists: bug, AlreadyPaired: bug, NotPaired: bug, NotPairing: bug, InvalidPhone: bug })
      )
      // The session is gone either way; a socket the engine cannot purge now is its own problem, not the caller's.
      yield* Effect.catchAll(supervisor.deleted(sessionId), (e) =>
        Effect.logWarning("the engine could not purge a deleted session", e).pipe(Effect.annotateLogs({ sessionId })))
    }).pipe(lock.withLock(sessionId))

  const me = (orgId: OrgId, sessionId: SessionId) =>
    Effect.flatMap(sessions.get(orgId, sessionId), (record) =>
      record.status === "paired" ? view(record) : Effect.fail(new SessionNotFound({ sessionId })))

  const service: Context.Tag.Service<Gateway> = {
    create: (orgId, input) =>
      sessions.create(orgId, input.name).pipe(
        Effect.catchTags({ SessionExists: bug, AlreadyPaired: bug, NotPaired: bug, NotPairing: bug, InvalidPhone: bug }),
        Effect.flatMap(view)
      ),
    get: (orgId, sessionId) => Effect.flatMap(sessions.get(orgId, sessionId), view),
    list: (orgId, page) =>
      Effect.flatMap(sessions.list(orgId, page), (result) =>
        Effect.map(Effect.forEach(result.sessions, view), (views) => ({ sessions: views, hasMore: result.hasMore }))),
    qr,
    requestPairingCode,
    logout,
    delete: remove,
    me,
    events: sessions.history,
    ready: store.ping
  }
  return service
})
