import { useEffect, useRef } from "./vendor/preact-hooks.js"
import type { LiveChange } from "./live-updates.js"
import { useServices } from "./services.js"

/** Calls `reload` on every live change `relevant` picks (all of them by default). */
export const useLiveReload = (reload: () => void, relevant: (change: LiveChange) => boolean = () => true): void => {
  const { live } = useServices()
  // The latest closures, without resubscribing on every render.
  const latest = useRef({ reload, relevant })
  latest.current = { reload, relevant }
  useEffect(
    () => live.subscribe((change) => {
      if (latest.current.relevant(change)) latest.current.reload()
    }),
    [live]
  )
}

/** A change that may concern this session: a poll, or an event of it. */
export const concernsSession = (sessionId: string) => (change: LiveChange): boolean =>
  change.kind === "tick" || change.sessionId === sessionId
