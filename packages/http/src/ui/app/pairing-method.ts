import type { SessionEvent } from "./sessions-wire.js"

export type PairingMethod = "qr" | "code"

/** How the latest pairing attempt started, from the session's history; null before any. */
export const latestPairingMethod = (events: ReadonlyArray<SessionEvent>): PairingMethod | null => {
  for (let index = events.length - 1; index >= 0; index -= 1) {
    const event = events[index]
    if (event?.type === "PairingStarted") return event.data["method"] === "code" ? "code" : "qr"
  }
  return null
}
