import type { HttpApiEndpoint, HttpApiGroup } from "@effect/platform"
import type { Capability } from "@wa-gateway/adapters"
import type { WebhooksApi } from "./api.js"

type WebhooksEndpoint = HttpApiEndpoint.HttpApiEndpoint.Name<HttpApiGroup.HttpApiGroup.Endpoints<typeof WebhooksApi>>

/** The capability each webhooks route needs (spec/EVENTS.md); a missing one is 403 `forbidden`. */
export const webhooksPolicy: { readonly [Name in WebhooksEndpoint]: Capability } = {
  create: "manage",
  list: "read",
  get: "read",
  update: "manage",
  delete: "manage",
  rotateSecret: "manage",
  test: "manage",
  deliveries: "read",
  replay: "manage"
}
