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

/**
 * Total over the event union: one line per event, as in DESIGN §2. A switch
 * rather than Match: rehydrating runs this once per stored event, and
 * building a matcher per event was most of the fold of a long stream
 * (bench/rehydrate.ts).
 */
export const evolve = (state: SessionState, event: SessionEvent): SessionState => {
  switch (event._tag) {
    case "SessionCreated": return { status: "unpaired", sessionId: event.sessionId, orgId: event.orgId, name: event.name }
    case "PairingStarted": return {
      ...base(state),
      status: "pairing",
      pairing: { attemptId: event.attemptId ?? null, method: event.method, phone: event.phone ?? null, returnTo: returnTo(state) }
    }
    case "SessionPaired": return { ...base(state), status: "paired", identity: identityOf(event) }
    case "PairingFailed": return { ...base(state), status: returnTo(state) }
    case "LoggedOut": return { ...base(state), status: "logged_out" }
    case "SessionDeleted": return { ...base(state), status: "deleted" }
  }
}

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
