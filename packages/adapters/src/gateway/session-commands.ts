import { type Context, Duration, Effect, Layer, Option } from "effect"
import {
  AlreadyPaired,
  DeleteSession,
  type EngineError,
  FailPairing,
  Logout,
  makeKeyedLock,
  makePairingAttemptId,
  NotPaired,
  type OrgId,
  type PairingAttemptId,
  type PairingChallenge,
  PhoneNumber,
  StartCodePairing,
  StartQrPairing,
  SessionEngine,
  type SessionId,
  SessionService
} from "@wa-gateway/domain"
import { SessionSupervisor } from "../engine/session-supervisor.js"
import type { QrChallenge } from "./gateway.js"
import { SessionPlacement } from "./session-placement.js"

/** How long a delete tries to unlink a paired session's device before it erases the session anyway. */
export const DELETE_UNLINK_TIMEOUT = Duration.seconds(10)

/**
 * The commands that touch both a session's stream and its socket, run here,
 * in this process: what a single process does for every session, and what a
 * cluster runner does for the sessions it owns. They run one at a time per
 * session and never leave the stream claiming what the engine did not do.
 */
export const makeSessionCommands = Effect.gen(function* () {
  const sessions = yield* SessionService
  const engine = yield* SessionEngine
  const supervisor = yield* SessionSupervisor
  const lock = yield* makeKeyedLock

  /** The engine could not start the recorded attempt: the stream says so too, then the caller hears why. */
  const engineFailed = (orgId: OrgId, sessionId: SessionId, attemptId: PairingAttemptId) => (cause: EngineError) =>
    sessions.execute(orgId, new FailPairing({ sessionId, attemptId, reason: "engine_error" })).pipe(
      Effect.catchAll((e) => Effect.logWarning("could not record the engine's pairing failure", e)),
      Effect.zipRight(Effect.logWarning("the engine could not start pairing", cause)),
      Effect.annotateLogs({ sessionId })
    )

  const qrOf = (challenge: PairingChallenge): Effect.Effect<QrChallenge> =>
    challenge._tag === "Qr"
      ? Effect.succeed({ qr: challenge.qr, expiresAt: challenge.expiresAt })
      : Effect.dieMessage("the engine answered a QR request with a pairing code")

  const qr = (orgId: OrgId, sessionId: SessionId) =>
    Effect.gen(function* () {
      const { state } = yield* sessions.load(orgId, sessionId)
      if (state.status === "paired") return yield* Effect.fail(new AlreadyPaired({ sessionId }))
      if (state.status === "pairing" && state.pairing.method === "qr") {
        const current = yield* engine.currentChallenge(sessionId)
        if (Option.isSome(current) && current.value._tag === "Qr" && current.value.attemptId === state.pairing.attemptId) {
          return yield* qrOf(current.value)
        }
      }
      // Not pairing, pairing by code, or the engine forgot (restart, expiry): a new attempt.
      const attemptId = yield* makePairingAttemptId
      yield* sessions.execute(orgId, new StartQrPairing({ sessionId, attemptId }))
      const challenge = yield* engine.startPairing(sessionId, { _tag: "Qr", attemptId }).pipe(
        Effect.tapError(engineFailed(orgId, sessionId, attemptId))
      )
      return yield* qrOf(challenge)
    }).pipe(lock.withLock(sessionId))

  const requestPairingCode = (orgId: OrgId, sessionId: SessionId, phone: string) =>
    Effect.gen(function* () {
      const attemptId = yield* makePairingAttemptId
      // The decider checks the session, then `AlreadyPaired`, then the phone (`InvalidPhone`).
      yield* sessions.execute(orgId, new StartCodePairing({ sessionId, attemptId, phone }))
      const challenge = yield* engine.startPairing(sessionId, { _tag: "Code", attemptId, phone: PhoneNumber.make(phone) }).pipe(
        Effect.tapError(engineFailed(orgId, sessionId, attemptId))
      )
      if (challenge._tag !== "Code") return yield* Effect.dieMessage("the engine answered a code request with a QR")
      return { code: challenge.code, expiresAt: challenge.expiresAt }
    }).pipe(lock.withLock(sessionId))

  const logout = (orgId: OrgId, sessionId: SessionId) =>
    Effect.gen(function* () {
      const { state } = yield* sessions.load(orgId, sessionId)
      if (state.status !== "paired") return yield* Effect.fail(new NotPaired({ sessionId }))
      // Unlink first: if the engine cannot, the session is still paired and says so.
      yield* engine.logout(sessionId)
      yield* sessions.execute(orgId, new Logout({ sessionId, by: "user" }))
    }).pipe(lock.withLock(sessionId))

  const remove = (orgId: OrgId, sessionId: SessionId) =>
    Effect.gen(function* () {
      const { state } = yield* sessions.load(orgId, sessionId)
      // A deleted session's device should not stay linked on the phone: unlink
      // it first when paired. Best effort and bounded (the seed does not
      // promise it): a device WhatsApp cannot be told about never fails, or
      // long delays, the delete.
      if (state.status === "paired") {
        yield* engine.logout(sessionId).pipe(
          Effect.timeoutFail({ duration: DELETE_UNLINK_TIMEOUT, onTimeout: () => `not unlinked within ${Duration.format(DELETE_UNLINK_TIMEOUT)}` }),
          Effect.catchAll((e) => Effect.logWarning("could not unlink the device of a deleted session; deleting it anyway", e)),
          Effect.annotateLogs({ sessionId })
        )
      }
      // The socket stops before the erasure, so nothing it still writes lands after it.
      yield* engine.stop(sessionId)
      yield* sessions.execute(orgId, new DeleteSession({ sessionId }))
      // The session is gone either way; keys the engine cannot purge now are its own problem, not the caller's.
      yield* Effect.catchAll(supervisor.deleted(sessionId), (e) =>
        Effect.logWarning("the engine could not purge a deleted session", e).pipe(Effect.annotateLogs({ sessionId })))
    }).pipe(lock.withLock(sessionId))

  return { qr, requestPairingCode, logout, delete: remove } satisfies Context.Tag.Service<SessionPlacement>
})

/** The placement of a single process: every command runs here. */
export const LocalSessionPlacement: Layer.Layer<SessionPlacement, never, SessionService | SessionEngine | SessionSupervisor> =
  Layer.effect(SessionPlacement, makeSessionCommands)
