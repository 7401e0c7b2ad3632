import type { OrgId, PhoneNumber, SessionId } from "../ids.js"
import type { PairingMethod } from "./events.js"

export interface SessionIdentity {
  readonly phoneNumber: string
  readonly waJid: string
  readonly waLid: string | null
  readonly pushName: string | null
}

export type SessionStatus = "unpaired" | "pairing" | "paired" | "logged_out" | "deleted"

/** The statuses a client ever sees; `deleted` answers 404. */
export type VisibleSessionStatus = Exclude<SessionStatus, "deleted">

export type SessionState =
  | { readonly status: "none"; readonly version: 0 }
  | {
    readonly status: SessionStatus
    readonly version: number
    readonly sessionId: SessionId
    readonly orgId: OrgId
    readonly name: string
    /** Set iff `status` is `paired`. */
    readonly identity: SessionIdentity | null
    /** While `pairing`: how, and the status a failed pairing returns to. */
    readonly pairing: {
      readonly method: PairingMethod
      readonly phone: PhoneNumber | null
      readonly returnTo: "unpaired" | "logged_out"
    } | null
  }

export type ExistingSessionState = Exclude<SessionState, { status: "none" }>

export const initialState: SessionState = { status: "none", version: 0 }

export const exists = (state: SessionState): state is ExistingSessionState => state.status !== "none"

/** Present and not deleted: the sessions a caller can see and command. */
export const isLive = (state: SessionState): state is ExistingSessionState =>
  state.status !== "none" && state.status !== "deleted"
