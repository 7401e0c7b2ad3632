import { Effect } from "effect"
import type { Capability } from "@wa-gateway/adapters"
import { CurrentPrincipal, type Principal } from "../auth/principal.js"
import { Forbidden } from "../errors.js"

/** 403 `forbidden` unless this caller's credential carries the capability. */
export const capabilityOf = (principal: Principal, capability: Capability): Effect.Effect<void, Forbidden> =>
  principal.capabilities.has(capability)
    ? Effect.void
    : Effect.fail(new Forbidden({ message: `this route needs the "${capability}" capability`, details: { capability } }))

/** 403 `forbidden` unless the current caller's credential carries the capability. */
export const requireCapability = (capability: Capability): Effect.Effect<void, Forbidden, CurrentPrincipal> =>
  Effect.flatMap(CurrentPrincipal, (principal) => capabilityOf(principal, capability))
