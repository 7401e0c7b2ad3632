import { HttpApi, OpenApi } from "@effect/platform"
import { HealthApi } from "./health/api.js"
import { SessionsApi } from "./sessions/api.js"
import { SimulatorApi } from "./simulator/api.js"
import { readableOpenApi } from "./openapi.js"

/** The whole HTTP contract of spec/API.md; `/openapi.json` is generated from it. */
export class GatewayApi extends HttpApi.make("wa-gateway")
  .add(SessionsApi)
  .add(SimulatorApi)
  .add(HealthApi)
  .annotate(OpenApi.Title, "wa-gateway")
  .annotate(OpenApi.Version, "1.0.0")
  .annotate(OpenApi.Description, "Multi-tenant WhatsApp session gateway. Every non-2xx response has the body `{error: {code, message, details}}`.")
  .annotate(OpenApi.Transform, readableOpenApi)
{}
