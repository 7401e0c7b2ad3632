import { type Context, Effect } from "effect"
import { type EventStore, type SessionId, sessionDecider, type SessionState, type StoredEvent, type StoreUnavailable } from "@wa-gateway/domain"
import type { PayloadStatus } from "./payload.js"

/** Sessions whose last state is kept; beyond, the oldest is folded again from its stream when needed. */
const CACHED_SESSIONS = 10_000

const statusOf = (state: SessionState): PayloadStatus | null => (state.status === "none" ? null : state.status)

/**
 * A session's status after each of its events (the payload's `status`; a
 * failed pairing returns to whatever came before). Events of one session
 * usually arrive in version order, so the last state is kept and evolved;
 * otherwise the stream is folded up to the event.
 */
export const makeStatusTracker = (store: Context.Tag.Service<EventStore>) => {
  const last = new Map<SessionId, { readonly version: number; readonly state: SessionState }>()

  const remember = (sessionId: SessionId, version: number, state: SessionState) => {
    last.delete(sessionId)
    if (state.status === "deleted") return
    last.set(sessionId, { version, state })
    if (last.size > CACHED_SESSIONS) {
      const oldest = last.keys().next()
      if (oldest.done !== true) last.delete(oldest.value)
    }
  }

  const statusAfter = (stored: StoredEvent): Effect.Effect<PayloadStatus, StoreUnavailable> =>
    Effect.gen(function* () {
      const known = stored.version === 1 ? { version: 0, state: sessionDecider.initialState } : last.get(stored.streamId)
      // A stream's first event, or the next one after the state kept: no read needed.
      const state = known !== undefined && known.version === stored.version - 1
        ? sessionDecider.evolve(known.state, stored.event)
        : (yield* store.readStream(stored.streamId))
          .filter((e) => e.version <= stored.version)
          .reduce((s, e) => sessionDecider.evolve(s, e.event), sessionDecider.initialState)
      remember(stored.streamId, stored.version, state)
      // The event itself makes the stream exist, so its fold is never "none".
      return statusOf(state) ?? "unpaired"
    })

  return { statusAfter }
}
