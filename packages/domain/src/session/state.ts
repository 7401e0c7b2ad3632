import type { OrgId, PairingAttemptId, PhoneNumber, SessionId } from "../ids.js"
import type { PairingMethod } from "./events.js"
import type { WaIdentity } from "./identity.js"

export type SessionStatus = "unpaired" | "pairing" | "paired" | "logged_out" | "deleted"

/** The statuses a client ever sees; `deleted` answers 404. */
export type VisibleSessionStatus = Exclude<SessionStatus, "deleted">

/** A pairing in progress: which attempt, how, and the status a failed pairing returns to. */
export interface PairingInProgress {
  /** `null` only for a pairing recorded before attempts had ids. */
  readonly attemptId: PairingAttemptId | null
  readonly method: PairingMethod
  readonly phone: PhoneNumber | null
  readonly returnTo: "unpaired" | "logged_out"
}

interface Existing {
  readonly sessionId: SessionId
  readonly orgId: OrgId
  readonly name: string
}

/**
 * The fold of a session's events: one shape per status, so what a status
 * implies is in the type (a `paired` session has an identity, a `pairing`
 * one its attempt; no other has either). The stream version is not state:
 * the store and the service carry it beside.
 */
export type SessionState =
  | { readonly status: "none" }
  | Existing & { readonly status: "unpaired" }
  | Existing & { readonly status: "pairing"; readonly pairing: PairingInProgress }
  | Existing & { readonly status: "paired"; readonly identity: WaIdentity }
  | Existing & { readonly status: "logged_out" }
  | Existing & { readonly status: "deleted" }

export type ExistingSessionState = Exclude<SessionState, { status: "none" }>

/** Present and not deleted: the sessions a caller can see and command. */
export type LiveSessionState = Exclude<ExistingSessionState, { status: "deleted" }>

export const initialState: SessionState = { status: "none" }

export const isLive = (state: SessionState): state is LiveSessionState =>
  state.status !== "none" && state.status !== "deleted"
