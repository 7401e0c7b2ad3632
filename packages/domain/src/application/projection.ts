import type { SessionRecord } from "../ports/event-store.js"
import type { ExistingSessionState } from "../session/state.js"

/** The read model row of a state at `version`, or `null` once it is deleted (the row is erased). */
export const toRecord = (
  state: ExistingSessionState,
  version: number,
  times: { readonly createdAt: Date; readonly updatedAt: Date }
): SessionRecord | null => {
  const fields = { sessionId: state.sessionId, orgId: state.orgId, name: state.name, ...times, version }
  switch (state.status) {
    case "deleted":
      return null
    case "paired":
      return { ...fields, status: "paired", identity: state.identity }
    default:
      return { ...fields, status: state.status, identity: null }
  }
}
