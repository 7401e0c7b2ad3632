import { Effect, Match } from "effect"
import { isPhoneNumber } from "../ids.js"
import type { SessionCommand } from "./commands.js"
import { AlreadyPaired, InvalidPhone, NotPaired, NotPairing, SessionExists, SessionNotFound, type SessionError } from "./errors.js"
import { LoggedOut, PairingFailed, PairingStarted, SessionCreated, SessionDeleted, SessionPaired, type SessionEvent } from "./events.js"
import { isLive, type ExistingSessionState, type SessionState } from "./state.js"

type Decision = Effect.Effect<ReadonlyArray<SessionEvent>, SessionError>

const emit = (...events: ReadonlyArray<SessionEvent>): Decision => Effect.succeed(events)

/** Every command but CreateSession needs a live session; the id is for the error. */
const onLive = (state: SessionState, sessionId: string, f: (s: ExistingSessionState) => Decision): Decision =>
  isLive(state) ? f(state) : Effect.fail(new SessionNotFound({ sessionId }))

/**
 * The state machine of DESIGN §2. `sessionId` names the stream, for the
 * errors of a session that does not exist (its state carries no id).
 */
export const decide = (command: SessionCommand, state: SessionState, sessionId: string): Decision =>
  Match.value(command).pipe(
    Match.tagsExhaustive({
      CreateSession: (c) => {
        if (state.status === "none") return emit(new SessionCreated({ sessionId: c.sessionId, orgId: c.orgId, name: c.name }))
        // A deleted stream is terminal: like every other command, creating it again finds nothing.
        return state.status === "deleted"
          ? Effect.fail(new SessionNotFound({ sessionId: c.sessionId }))
          : Effect.fail(new SessionExists({ sessionId: c.sessionId }))
      },
      StartPairing: (c) =>
        onLive(state, sessionId, (s) => {
          if (s.status === "paired") return Effect.fail(new AlreadyPaired({ sessionId }))
          if (c.phone === undefined) {
            // A pairing code is bound to a phone number; only a QR pairs without one.
            return c.method === "qr" ? emit(new PairingStarted({ method: "qr" })) : Effect.fail(new InvalidPhone({ phone: "" }))
          }
          return isPhoneNumber(c.phone)
            ? emit(new PairingStarted({ method: c.method, phone: c.phone }))
            : Effect.fail(new InvalidPhone({ phone: c.phone }))
        }),
      CompletePairing: (c) =>
        onLive(state, sessionId, (s) =>
          s.status === "pairing"
            ? emit(new SessionPaired({ ...c.identity }))
            : Effect.fail(new NotPairing({ sessionId }))),
      FailPairing: (c) =>
        onLive(state, sessionId, (s) =>
          s.status === "pairing"
            ? emit(new PairingFailed({ reason: c.reason }))
            : Effect.fail(new NotPairing({ sessionId }))),
      Logout: (c) =>
        onLive(state, sessionId, (s) =>
          s.status === "paired"
            ? emit(new LoggedOut({ by: c.by }))
            : Effect.fail(new NotPaired({ sessionId }))),
      DeleteSession: () => onLive(state, sessionId, () => emit(new SessionDeleted()))
    })
  )
