import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { CommandMetadata, OrgId } from "@wa-gateway/domain"
import { RequestId } from "../middleware/request-id.js"
import { asCaller } from "./command-metadata.js"
import { CurrentPrincipal } from "./principal.js"

const principal = { orgId: OrgId.make("acme"), capabilities: new Set(["manage" as const]), subject: "api-key:key_9" }

describe("asCaller", () => {
  it.effect("gives the commands of a route the caller as actor and the request id as correlation id", () =>
    Effect.gen(function* () {
      const seen = yield* asCaller(CommandMetadata).pipe(Effect.provideService(RequestId, "req-42"))
      expect(seen).toEqual({ actor: "api-key:key_9", correlationId: "req-42" })
    }).pipe(Effect.provideService(CurrentPrincipal, principal)))

  it.effect("names only the caller outside a request", () =>
    Effect.gen(function* () {
      expect(yield* asCaller(CommandMetadata)).toEqual({ actor: "api-key:key_9" })
      // Nothing set: no metadata at all.
      expect(yield* CommandMetadata).toEqual({})
    }).pipe(Effect.provideService(CurrentPrincipal, principal)))
})
