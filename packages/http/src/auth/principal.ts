import { Context } from "effect"
import type { OrgId } from "@wa-gateway/domain"
import type { Capability } from "@wa-gateway/adapters"

/** Who is calling: their org and what they may do. Provided by the auth middleware. */
export interface Principal {
  readonly orgId: OrgId
  readonly capabilities: ReadonlySet<Capability>
  /** `jwt:<sub>` or `api-key:<id>`, for logs. */
  readonly subject: string
}

export class CurrentPrincipal extends Context.Tag("wa-gateway/CurrentPrincipal")<CurrentPrincipal, Principal>() {}
