import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Gateway } from "@wa-gateway/adapters"
import { GatewayApi } from "../api.js"
import { mapErrors } from "../errors.js"

export const HealthLive = HttpApiBuilder.group(GatewayApi, "health", (handlers) =>
  Effect.gen(function* () {
    const gateway = yield* Gateway
    return handlers
      .handle("healthz", () => Effect.succeed({ status: "ok" as const }))
      .handle("readyz", () => Effect.as(mapErrors(gateway.ready), { status: "ok" as const }))
  }))
