import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { UnavailableResponse } from "../errors.js"

export const Health = Schema.Struct({ status: Schema.Literal("ok") }).annotations({ identifier: "Health" })

export const Readiness = Schema.Struct({
  status: Schema.Literal("ok"),
  engine: Schema.String.annotations({ description: "the WhatsApp engine running: `baileys` or `simulator`" }),
  resuming: Schema.Int.annotations({ description: "paired sessions the boot pass has still to reconnect" }),
  warnings: Schema.Array(Schema.String).annotations({ description: "what an operator must know, e.g. a test WhatsApp server is configured" })
}).annotations({ identifier: "Readiness" })

/** Unauthenticated probes for orchestrators. */
export class HealthApi extends HttpApiGroup.make("health")
  .add(
    HttpApiEndpoint.get("healthz", "/healthz")
      .addSuccess(Health)
      .annotate(OpenApi.Summary, "Liveness: the process is up")
  )
  .add(
    HttpApiEndpoint.get("readyz", "/readyz")
      .addSuccess(Readiness)
      .addError(UnavailableResponse)
      .annotate(OpenApi.Summary, "Readiness: the store is reachable (503 unavailable otherwise), with the boot pass's progress")
  )
  .annotate(OpenApi.Title, "health")
{}
