import { Entity } from "@effect/cluster"
import { Rpc } from "@effect/rpc"
import {
  AlreadyPaired,
  ConcurrencyConflict,
  EngineNotImplemented,
  EngineUnavailable,
  InvalidPhone,
  NotPaired,
  OrgId,
  OwnershipLost,
  SessionNotFound,
  StoreUnavailable
} from "@wa-gateway/domain"
import { Schema } from "effect"

// The `WaSession` entity's protocol: one entity per session (entity id =
// session id), running where the cluster places it; its scope owns the
// session's runtime, so its socket.

/** What the commands can answer, as they travel between processes (gateway/session-placement.ts, per command). */
const writeErrors = [ConcurrencyConflict, StoreUnavailable, OwnershipLost] as const
const engineErrors = [EngineUnavailable, EngineNotImplemented] as const
const PairingError = Schema.Union(SessionNotFound, AlreadyPaired, ...writeErrors, ...engineErrors)
const CodePairingError = Schema.Union(SessionNotFound, AlreadyPaired, InvalidPhone, ...writeErrors, ...engineErrors)
const LogoutError = Schema.Union(SessionNotFound, NotPaired, ...writeErrors, ...engineErrors)
const DeleteError = Schema.Union(SessionNotFound, ...writeErrors)

const Challenge = { expiresAt: Schema.Date }

export const WaSession = Entity.make("WaSession", [
  /** Makes sure the entity runs (the reconciler's ping); starting it resumes a paired session. */
  Rpc.make("Ensure"),
  Rpc.make("Qr", { payload: { orgId: OrgId }, success: Schema.Struct({ qr: Schema.String, ...Challenge }), error: PairingError }),
  Rpc.make("RequestPairingCode", {
    payload: { orgId: OrgId, phone: Schema.String },
    success: Schema.Struct({ code: Schema.String, ...Challenge }),
    error: CodePairingError
  }),
  Rpc.make("Logout", { payload: { orgId: OrgId }, error: LogoutError }),
  Rpc.make("Delete", { payload: { orgId: OrgId }, error: DeleteError })
])
