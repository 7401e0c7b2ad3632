import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { CreateSession, StartPairing } from "./commands.js"
import { decide } from "./decide.js"
import { initialState } from "./state.js"
import { OrgId, SessionId } from "../ids.js"

describe("decide", () => {
  it.effect("creates a session on an empty stream", () =>
    Effect.gen(function* () {
      const sessionId = SessionId.make("sess_01HZX8K3M9ABCDEFGHJKMNPQRS")
      const events = yield* decide(new CreateSession({ sessionId, orgId: OrgId.make("acme"), name: "x" }), initialState, sessionId)
      expect(events.map((e) => e._tag)).toEqual(["SessionCreated"])
    }))
  it.effect("refuses to pair a session that does not exist", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(decide(new StartPairing({ method: "qr" }), initialState, "sess_x"))
      expect(Exit.isFailure(exit)).toBe(true)
    }))
})
