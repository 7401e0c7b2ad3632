import { HttpApi, OpenApi } from "@effect/platform"
import { EventsApi } from "./events/api.js"
import { HealthApi } from "./health/api.js"
import { readableOpenApi } from "./openapi.js"
import { SessionsApi } from "./sessions/api.js"
import { SimulatorApi } from "./simulator/api.js"
import { WebhooksApi } from "./webhooks/api.js"

const base = HttpApi.make("wa-gateway")
  .annotate(OpenApi.Title, "wa-gateway")
  .annotate(OpenApi.Version, "1.0.0")
  .annotate(OpenApi.Description, "Multi-tenant WhatsApp session gateway. Every non-2xx response has the body `{error: {code, message, details}}`.")
  .annotate(OpenApi.Transform, readableOpenApi)

/** The HTTP contract of spec/API.md; `/openapi.json` is generated from it. */
export class GatewayApi extends base.add(SessionsApi).add(WebhooksApi).add(EventsApi).add(HealthApi) {}

/**
 * The same contract plus the `/simulator/v1` routes, served only with the
 * simulator engine. One id, so the groups' handlers serve both.
 */
export class SimulatorGatewayApi extends base.add(SessionsApi).add(WebhooksApi).add(EventsApi).add(SimulatorApi).add(HealthApi) {}
