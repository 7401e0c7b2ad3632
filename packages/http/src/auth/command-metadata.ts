import { Effect } from "effect"
import { CommandMetadata } from "@wa-gateway/domain"
import { RequestId } from "../middleware/request-id.js"
import { CurrentPrincipal } from "./principal.js"

/**
 * Runs a route's work with the caller and the request id as the metadata of
 * every event it appends (`events.metadata`: the audit trail says who did
 * what, in answer to which request).
 */
export const asCaller = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | CurrentPrincipal> =>
  Effect.gen(function* () {
    const { subject } = yield* CurrentPrincipal
    const requestId = yield* RequestId
    return yield* Effect.provideService(effect, CommandMetadata, requestId === "" ? { actor: subject } : { actor: subject, correlationId: requestId })
  })
