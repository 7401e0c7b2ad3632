import { Context } from "effect"
import type { EventMetadata } from "../ports/event-store.js"

/**
 * The metadata of the commands run in this context: set by whoever knows it
 * (the HTTP layer: the request id and the caller; the supervisor: `engine`)
 * with `Effect.provideService`; nothing set → no metadata.
 */
export class CommandMetadata extends Context.Reference<CommandMetadata>()("wa-gateway/CommandMetadata", {
  defaultValue: (): EventMetadata => ({})
}) {}
