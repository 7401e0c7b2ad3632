import { Match } from "effect"
import type { SessionEvent } from "./events.js"
import type { ExistingSessionState, SessionState } from "./state.js"

const existing = (state: SessionState): ExistingSessionState => {
  // A stream never starts with anything but SessionCreated; the store guards the order.
  if (state.status === "none") throw new Error("event applied to a session that was never created")
  return state
}

/** Total over the event union: one line per event, as in DESIGN §2. */
export const evolve = (state: SessionState, event: SessionEvent): SessionState =>
  Match.value(event).pipe(
    Match.tagsExhaustive({
      SessionCreated: (e): SessionState => ({
        status: "unpaired",
        version: state.version + 1,
        sessionId: e.sessionId,
        orgId: e.orgId,
        name: e.name,
        identity: null,
        pairing: null
      }),
      PairingStarted: (e): SessionState => {
        const s = existing(state)
        const returnTo = s.pairing?.returnTo ?? (s.status === "logged_out" ? "logged_out" : "unpaired")
        return { ...s, status: "pairing", version: s.version + 1, pairing: { method: e.method, phone: e.phone ?? null, returnTo } }
      },
      SessionPaired: (e): SessionState => ({
        ...existing(state),
        status: "paired",
        version: state.version + 1,
        identity: { phoneNumber: e.phoneNumber, waJid: e.waJid, waLid: e.waLid, pushName: e.pushName },
        pairing: null
      }),
      PairingFailed: (): SessionState => {
        const s = existing(state)
        return { ...s, status: s.pairing?.returnTo ?? "unpaired", version: s.version + 1, pairing: null }
      },
      LoggedOut: (): SessionState => ({ ...existing(state), status: "logged_out", version: state.version + 1, identity: null, pairing: null }),
      SessionDeleted: (): SessionState => ({ ...existing(state), status: "deleted", version: state.version + 1, identity: null, pairing: null })
    })
  )

export const fold = (events: Iterable<SessionEvent>, from: SessionState): SessionState => {
  let state = from
  for (const event of events) state = evolve(state, event)
  return state
}
