import type { HttpApiEndpoint, HttpApiGroup } from "@effect/platform"
import type { Capability } from "@wa-gateway/adapters"
import type { SessionsApi } from "./api.js"

type SessionsEndpoint = HttpApiEndpoint.HttpApiEndpoint.Name<HttpApiGroup.HttpApiGroup.Endpoints<typeof SessionsApi>>

/** The capability each sessions route needs (spec/API.md); a missing one is 403 `forbidden`. */
export const sessionsPolicy: { readonly [Name in SessionsEndpoint]: Capability } = {
  create: "manage",
  list: "read",
  get: "read",
  qr: "manage",
  requestPairingCode: "manage",
  logout: "manage",
  delete: "manage",
  me: "manage",
  events: "read"
}
