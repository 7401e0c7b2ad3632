import { PairingStarted, type SessionEvent, SessionPaired } from "@wa-gateway/domain"

// Delete is erasure (DESIGN §3): the envelopes and positions of a deleted
// session stay, so the log stays consistent, but the personal data in them
// goes. These are the only events that carry any; the SQL store applies the
// same rules with jsonb operators (see event-store-sql.ts).

/** What an erased `SessionPaired` says instead of the identity. */
const erasedIdentity = { phoneNumber: "", waJid: "", waLid: null, pushName: null } as const

/** The event with its personal data removed; events without any come back unchanged. */
export const eraseEvent = (event: SessionEvent): SessionEvent => {
  switch (event._tag) {
    case "PairingStarted":
      return new PairingStarted({ method: event.method })
    case "SessionPaired":
      return new SessionPaired(erasedIdentity)
    default:
      return event
  }
}

/** What the SQL store merges into a stored `SessionPaired`'s data. */
export const erasedIdentityJson = JSON.stringify(erasedIdentity)
