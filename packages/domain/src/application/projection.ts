import type { SessionRecord } from "../ports/event-store.js"
import type { ExistingSessionState } from "../session/state.js"

/** The read model row of a state, or `null` once it is deleted (the row is erased). */
export const toRecord = (
  state: ExistingSessionState,
  times: { readonly createdAt: Date; readonly updatedAt: Date }
): SessionRecord | null =>
  state.status === "deleted" ? null : {
    sessionId: state.sessionId,
    orgId: state.orgId,
    name: state.name,
    status: state.status,
    phoneNumber: state.identity?.phoneNumber ?? null,
    waJid: state.identity?.waJid ?? null,
    waLid: state.identity?.waLid ?? null,
    pushName: state.identity?.pushName ?? null,
    createdAt: times.createdAt,
    updatedAt: times.updatedAt,
    version: state.version
  }
