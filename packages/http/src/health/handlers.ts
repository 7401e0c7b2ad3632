import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Gateway } from "@wa-gateway/adapters"
import { SimulatorGatewayApi } from "../api.js"
import { mapErrors } from "../errors.js"

export const HealthLive = HttpApiBuilder.group(SimulatorGatewayApi, "health", (handlers) =>
  Effect.gen(function* () {
    const gateway = yield* Gateway
    return handlers
      .handle("healthz", () => Effect.succeed({ status: "ok" as const }))
      .handle("readyz", () =>
        Effect.map(mapErrors(gateway.ready), (ready) => ({
          status: "ok" as const,
          engine: ready.engine,
          resuming: ready.resume.pending,
          warnings: ready.warnings
        })))
  }))
