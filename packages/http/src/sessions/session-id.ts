import { Effect, Option, Schema } from "effect"
import { SessionId } from "@wa-gateway/domain"
import { NotFound } from "../errors.js"

const decodeSessionId = Schema.decodeUnknownOption(SessionId)

/** A malformed id names no session: 404, like an unknown one (API.md). */
export const parseSessionId = (raw: string): Effect.Effect<SessionId, NotFound> =>
  Option.match(decodeSessionId(raw), {
    onNone: () => Effect.fail(new NotFound({ message: "session not found", details: {} })),
    onSome: Effect.succeed
  })
