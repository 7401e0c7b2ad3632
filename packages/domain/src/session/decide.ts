import { Either } from "effect"
import { isPhoneNumber, type PairingAttemptId, type SessionId } from "../ids.js"
import type { SessionCommandOf, SessionCommandTag } from "./commands.js"
import {
  AlreadyPaired,
  InvalidPhone,
  NotPaired,
  NotPairing,
  SessionExists,
  type SessionCommandErrors,
  SessionNotFound,
  StalePairingAttempt
} from "./errors.js"
import { LoggedOut, PairingFailed, PairingStarted, SessionCreated, SessionDeleted, SessionPaired, type SessionEvent } from "./events.js"
import { isLive, type LiveSessionState, type SessionState } from "./state.js"

/** The events a command emits, or the error it is refused with. */
export type Decision<E> = Either.Either<ReadonlyArray<SessionEvent>, E>

const emit = (...events: ReadonlyArray<SessionEvent>): Decision<never> => Either.right(events)
const refuse = <E>(error: E): Decision<E> => Either.left(error)

/** Every command but CreateSession needs a live session. */
const onLive = <E>(state: SessionState, sessionId: SessionId, f: (s: LiveSessionState) => Decision<E>): Decision<E | SessionNotFound> =>
  isLive(state) ? f(state) : refuse(new SessionNotFound({ sessionId }))

/** An engine's report of a pairing: only while pairing, and only of the attempt in progress (if it names one). */
const onAttempt = (
  state: LiveSessionState,
  sessionId: SessionId,
  attemptId: PairingAttemptId | undefined,
  event: SessionEvent
): Decision<NotPairing | StalePairingAttempt> => {
  if (state.status !== "pairing") return refuse(new NotPairing({ sessionId }))
  return attemptId === undefined || attemptId === state.pairing.attemptId ? emit(event) : refuse(new StalePairingAttempt({ sessionId }))
}

/** The state machine of DESIGN §2: one branch per command, each refusing with only that command's errors. */
const branches: {
  readonly [K in SessionCommandTag]: (command: SessionCommandOf<K>, state: SessionState) => Decision<SessionCommandErrors[K]>
} = {
  CreateSession: (c, state) => {
    if (state.status === "none") return emit(new SessionCreated({ sessionId: c.sessionId, orgId: c.orgId, name: c.name }))
    // A deleted stream is terminal: like every other command, creating it again finds nothing.
    return refuse(state.status === "deleted" ? new SessionNotFound({ sessionId: c.sessionId }) : new SessionExists({ sessionId: c.sessionId }))
  },
  StartQrPairing: (c, state) =>
    onLive(state, c.sessionId, (s) =>
      s.status === "paired"
        ? refuse(new AlreadyPaired({ sessionId: c.sessionId }))
        : emit(new PairingStarted({ method: "qr", attemptId: c.attemptId }))),
  StartCodePairing: (c, state) =>
    onLive(state, c.sessionId, (s): Decision<AlreadyPaired | InvalidPhone> => {
      if (s.status === "paired") return refuse(new AlreadyPaired({ sessionId: c.sessionId }))
      // A pairing code is bound to a phone number: the seed's rule, digits only, 8–15, no `+`.
      return isPhoneNumber(c.phone)
        ? emit(new PairingStarted({ method: "code", phone: c.phone, attemptId: c.attemptId }))
        : refuse(new InvalidPhone({ phone: c.phone }))
    }),
  CompletePairing: (c, state) =>
    onLive(state, c.sessionId, (s) => onAttempt(s, c.sessionId, c.attemptId, new SessionPaired({ ...c.identity }))),
  FailPairing: (c, state) =>
    onLive(state, c.sessionId, (s) => onAttempt(s, c.sessionId, c.attemptId, new PairingFailed({ reason: c.reason }))),
  Logout: (c, state) =>
    onLive(state, c.sessionId, (s) =>
      s.status === "paired" ? emit(new LoggedOut({ by: c.by })) : refuse(new NotPaired({ sessionId: c.sessionId }))),
  DeleteSession: (c, state) => onLive(state, c.sessionId, () => emit(new SessionDeleted()))
}

/** Decides a command on a state: pure, so the same command on the same state always decides the same. */
export const decide = <K extends SessionCommandTag>(
  command: SessionCommandOf<K> & { readonly _tag: K },
  state: SessionState
): Decision<SessionCommandErrors[K]> => {
  const branch: (typeof branches)[K] = branches[command._tag]
  return branch(command, state)
}
