import { Context, Effect, Layer, Option, Queue, Schema } from "effect"
import {
  type EngineEvent,
  InvalidPhone,
  isPhoneNumber,
  type OrgId,
  SessionEngine,
  type SessionId,
  type SessionNotFound,
  SessionService,
  type StoreUnavailable
} from "@wa-gateway/domain"
import { SessionSupervisor } from "../engine/session-supervisor.js"
import { type PhoneActionRejected, SimulatedPhone } from "../engine/simulator/simulated-phone.js"
import { type SessionView, toSessionView } from "./session-view.js"

export const DEFAULT_RECONNECT_AFTER_MS = 1000

/** How long a dropped connection of the simulated phone stays down: up to an hour. */
export const ReconnectAfterMs = Schema.Int.pipe(Schema.between(0, 3_600_000))

export type SimulatedPhoneError = SessionNotFound | StoreUnavailable | PhoneActionRejected

/**
 * The simulated phone as a person uses it through the gateway: scoped to an
 * org like every gateway operation, and each action returns once the gateway
 * has taken it in, so the session it returns already shows the outcome (e.g.
 * `paired`, or `connected: false` right after a dropped connection).
 */
export class SimulatedPhoneGateway extends Context.Tag("wa-gateway/SimulatedPhoneGateway")<SimulatedPhoneGateway, {
  /** Scans the QR showing for the session; fails when none is showing. */
  readonly scan: (
    orgId: OrgId,
    sessionId: SessionId,
    input: { readonly phoneNumber: string; readonly pushName?: string | undefined }
  ) => Effect.Effect<SessionView, SimulatedPhoneError | InvalidPhone>
  /** Enters the pairing code on the phone it was issued for; fails when wrong or expired. */
  readonly enterCode: (
    orgId: OrgId,
    sessionId: SessionId,
    input: { readonly code: string; readonly pushName?: string | undefined }
  ) => Effect.Effect<SessionView, SimulatedPhoneError>
  /** Removes the linked device on the phone: the session is logged out by the device. */
  readonly unlink: (orgId: OrgId, sessionId: SessionId) => Effect.Effect<SessionView, SimulatedPhoneError>
  /** Drops the network now; the engine reconnects after `reconnectAfterMs` (default 1000). */
  readonly dropConnection: (
    orgId: OrgId,
    sessionId: SessionId,
    options?: { readonly reconnectAfterMs?: number | undefined }
  ) => Effect.Effect<SessionView, SimulatedPhoneError>
}>() {
  static readonly Live: Layer.Layer<SimulatedPhoneGateway, never, SessionService | SessionSupervisor | SessionEngine | SimulatedPhone> =
    Layer.effect(this, Effect.suspend(() => make))
}

const make = Effect.gen(function* () {
  const sessions = yield* SessionService
  const supervisor = yield* SessionSupervisor
  const phone = yield* SimulatedPhone
  const view = toSessionView(yield* SessionEngine)

  /** Runs the phone's action on a session of the org and waits until the supervisor has handled what it caused. */
  const act = <E>(orgId: OrgId, sessionId: SessionId, action: Effect.Effect<EngineEvent, E>) =>
    Effect.scoped(Effect.gen(function* () {
      yield* sessions.get(orgId, sessionId)
      const handled = yield* supervisor.handled
      const caused = yield* action
      const seen = yield* Queue.take(handled).pipe(
        Effect.repeat({ until: (event) => event === caused }),
        Effect.timeoutOption("10 seconds")
      )
      if (Option.isNone(seen)) yield* Effect.logWarning(`the supervisor did not handle ${caused._tag} in time`)
      return yield* Effect.flatMap(sessions.get(orgId, sessionId), view)
    }))

  const service: Context.Tag.Service<SimulatedPhoneGateway> = {
    scan: (orgId, sessionId, input) => {
      const { phoneNumber } = input
      return isPhoneNumber(phoneNumber)
        ? act(orgId, sessionId, phone.scan(sessionId, { phoneNumber, pushName: input.pushName }))
        : Effect.fail(new InvalidPhone({ phone: phoneNumber }))
    },
    enterCode: (orgId, sessionId, input) => act(orgId, sessionId, phone.enterCode(sessionId, input)),
    unlink: (orgId, sessionId) => act(orgId, sessionId, phone.unlink(sessionId)),
    dropConnection: (orgId, sessionId, options) =>
      act(orgId, sessionId, phone.dropConnection(sessionId, options?.reconnectAfterMs ?? DEFAULT_RECONNECT_AFTER_MS))
  }
  return service
})
