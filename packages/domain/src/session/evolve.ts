import { Match } from "effect"
import { PhoneNumber } from "../ids.js"
import type { SessionEvent, SessionPaired } from "./events.js"
import { WaIdentity } from "./identity.js"
import type { ExistingSessionState, SessionState } from "./state.js"

const existing = (state: SessionState): ExistingSessionState => {
  // A stream never starts with anything but SessionCreated; the store guards the order.
  if (state.status === "none") throw new Error("event applied to a session that was never created")
  return state
}

/** The fields every status keeps: who the session is. */
const base = (state: SessionState) => {
  const { name, orgId, sessionId } = existing(state)
  return { sessionId, orgId, name }
}

/** Total over the event union: one line per event, as in DESIGN §2. */
export const evolve = (state: SessionState, event: SessionEvent): SessionState =>
  Match.value(event).pipe(
    Match.tagsExhaustive({
      SessionCreated: (e): SessionState => ({ status: "unpaired", sessionId: e.sessionId, orgId: e.orgId, name: e.name }),
      PairingStarted: (e): SessionState => ({
        ...base(state),
        status: "pairing",
        pairing: { attemptId: e.attemptId ?? null, method: e.method, phone: e.phone ?? null, returnTo: returnTo(state) }
      }),
      SessionPaired: (e): SessionState => ({ ...base(state), status: "paired", identity: identityOf(e) }),
      PairingFailed: (): SessionState => ({ ...base(state), status: returnTo(state) }),
      LoggedOut: (): SessionState => ({ ...base(state), status: "logged_out" }),
      SessionDeleted: (): SessionState => ({ ...base(state), status: "deleted" })
    })
  )

/**
 * Not validated again: the identity was checked when the pairing was decided,
 * and an erased event (of a deleted stream, phone "") folds to `deleted` next.
 */
const identityOf = (e: SessionPaired): WaIdentity =>
  new WaIdentity({ phoneNumber: PhoneNumber.make(e.phoneNumber, true), waJid: e.waJid, waLid: e.waLid, pushName: e.pushName }, true)

/** Where a pairing started now would return to on failure: kept across a restarted pairing. */
const returnTo = (state: SessionState): "unpaired" | "logged_out" =>
  state.status === "pairing" ? state.pairing.returnTo : state.status === "logged_out" ? "logged_out" : "unpaired"

export const fold = (events: Iterable<SessionEvent>, from: SessionState): SessionState => {
  let state = from
  for (const event of events) state = evolve(state, event)
  return state
}
