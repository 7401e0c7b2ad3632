import { Effect } from "effect"
import type { Capability } from "@wa-gateway/adapters"
import { CurrentPrincipal } from "../auth/principal.js"
import { Forbidden } from "../errors.js"

/** 403 `forbidden` unless the caller's credential carries the capability. */
export const requireCapability = (capability: Capability): Effect.Effect<void, Forbidden, CurrentPrincipal> =>
  Effect.flatMap(CurrentPrincipal, (principal) =>
    principal.capabilities.has(capability)
      ? Effect.void
      : Effect.fail(
        new Forbidden({ message: `this route needs the "${capability}" capability`, details: { capability } })
      ))
