import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { SimulatedPhoneGateway, type SimulatedPhoneError, type SessionView } from "@wa-gateway/adapters"
import type { InvalidPhone, OrgId, SessionId } from "@wa-gateway/domain"
import { SimulatorGatewayApi } from "../api.js"
import { asCaller } from "../auth/command-metadata.js"
import { CurrentPrincipal } from "../auth/principal.js"
import { mapErrors } from "../errors.js"
import { requireCapability } from "../middleware/capability.js"
import { readOptionalBody } from "../sessions/handlers.js"
import { parseSessionId } from "../sessions/session-id.js"
import { toSession } from "../sessions/session-wire.js"
import { DropConnectionRequest, simulatorCapability } from "./api.js"

export const SimulatorLive = HttpApiBuilder.group(SimulatorGatewayApi, "simulator", (handlers) =>
  Effect.gen(function* () {
    const phone = yield* SimulatedPhoneGateway

    /** Capability first, then the session of the caller's org the phone acts on. */
    const target = (raw: string) =>
      Effect.gen(function* () {
        yield* requireCapability(simulatorCapability)
        const { orgId } = yield* CurrentPrincipal
        const sessionId = yield* parseSessionId(raw)
        return { orgId, sessionId }
      })

    // The phone's refusals (`PhoneActionRejected`) are 400s with `details.reason`, mapped in errors.ts with the rest.
    const respond = (action: Effect.Effect<SessionView, SimulatedPhoneError | InvalidPhone>) =>
      Effect.map(mapErrors(action), toSession)

    const act = (
      raw: string,
      f: (orgId: OrgId, sessionId: SessionId) => Effect.Effect<SessionView, SimulatedPhoneError | InvalidPhone>
    ) => asCaller(Effect.flatMap(target(raw), ({ orgId, sessionId }) => respond(f(orgId, sessionId))))

    return handlers
      .handle("scan", ({ path, payload }) =>
        act(path.session, (orgId, sessionId) =>
          phone.scan(orgId, sessionId, { phoneNumber: payload.phoneNumber, pushName: payload.pushName })))
      .handle("enterCode", ({ path, payload }) =>
        act(path.session, (orgId, sessionId) =>
          phone.enterCode(orgId, sessionId, { code: payload.code, pushName: payload.pushName })))
      .handle("unlink", ({ path }) => act(path.session, (orgId, sessionId) => phone.unlink(orgId, sessionId)))
      .handleRaw("dropConnection", ({ path, request }) =>
        asCaller(Effect.gen(function* () {
          const { orgId, sessionId } = yield* target(path.session)
          const body = yield* readOptionalBody(DropConnectionRequest, request)
          return yield* respond(phone.dropConnection(orgId, sessionId, { reconnectAfterMs: body.reconnectAfterMs }))
        })))
  }))
