import { Context, type Effect } from "effect"
import type {
  AlreadyPaired,
  ConcurrencyConflict,
  EngineError,
  InvalidPhone,
  NotPaired,
  OrgId,
  OwnershipLost,
  SessionId,
  SessionNotFound,
  StoreUnavailable
} from "@wa-gateway/domain"
import type { PairingCode, QrChallenge } from "./gateway.js"

type WriteError = ConcurrencyConflict | StoreUnavailable | OwnershipLost

/**
 * Where a command on a session's socket runs: here, in a single process; on
 * the session's owner (through the `WaSession` entity's client) in a
 * cluster, so only one process ever holds the session's socket.
 */
export class SessionPlacement extends Context.Tag("wa-gateway/SessionPlacement")<SessionPlacement, {
  readonly qr: (orgId: OrgId, sessionId: SessionId) => Effect.Effect<QrChallenge, SessionNotFound | AlreadyPaired | WriteError | EngineError>
  readonly requestPairingCode: (
    orgId: OrgId,
    sessionId: SessionId,
    phone: string
  ) => Effect.Effect<PairingCode, SessionNotFound | AlreadyPaired | InvalidPhone | WriteError | EngineError>
  readonly logout: (orgId: OrgId, sessionId: SessionId) => Effect.Effect<void, SessionNotFound | NotPaired | WriteError | EngineError>
  readonly delete: (orgId: OrgId, sessionId: SessionId) => Effect.Effect<void, SessionNotFound | WriteError>
}>() {}
