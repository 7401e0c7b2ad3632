import { fc, it } from "@fast-check/vitest"
import { Effect, Exit, Schema } from "effect"
import { describe, expect } from "vitest"
import { SessionId } from "@wa-gateway/domain"
import { type Session, SessionList, Session as SessionSchema } from "./api.js"
import { encodeSession, encodeSessionList } from "./session-wire.js"

const sessionArb: fc.Arbitrary<Session> = fc.record({
  sessionId: fc.constantFrom("sess_01HZX8K3M9Q2W4E6R8T0Y2V4X6", ""),
  name: fc.string({ maxLength: 8 }),
  status: fc.constantFrom("unpaired", "pairing", "paired", "logged_out"),
  connected: fc.boolean(),
  phoneNumber: fc.option(fc.string({ maxLength: 15 })),
  waJid: fc.option(fc.string({ maxLength: 8 })),
  waLid: fc.option(fc.string({ maxLength: 8 })),
  pushName: fc.option(fc.string({ maxLength: 8 })),
  createdAt: fc.date({ noInvalidDate: true }),
  updatedAt: fc.date({ noInvalidDate: true }),
  version: fc.integer({ min: 0, max: 10_000 })
})

/** What the contract's schema itself makes of a value (or its refusal). */
const bySchema = <A, I>(schema: Schema.Schema<A, I>, value: A) => Effect.runSyncExit(Schema.encode(schema)(value))

describe("the read routes' wire encoding", () => {
  it.prop([sessionArb])("encodes a session exactly as Schema.encode(Session)", (session) => {
    expect(Effect.runSyncExit(encodeSession(session))).toStrictEqual(bySchema(SessionSchema, session))
  })

  it.prop([fc.array(sessionArb, { maxLength: 5 }), fc.option(fc.record({ createdAt: fc.date({ min: new Date(0), max: new Date("9999-12-31"), noInvalidDate: true }), sessionId: fc.constant(SessionId.make("sess_01HZX8K3M9Q2W4E6R8T0Y2V4X6")) }))])(
    "encodes a page exactly as Schema.encode(SessionList)",
    (sessions, cursor) => {
      const list = { sessions, nextPageToken: cursor }
      expect(Effect.runSyncExit(encodeSessionList(list))).toStrictEqual(bySchema(SessionList, list))
    }
  )

  it("refuses what the schema refuses (a fractional version, an invalid date), through the schema", () => {
    const valid: Session = {
      sessionId: "sess_01HZX8K3M9Q2W4E6R8T0Y2V4X6", name: "", status: "unpaired", connected: false, phoneNumber: null,
      waJid: null, waLid: null, pushName: null, createdAt: new Date(0), updatedAt: new Date(0), version: 1
    }
    for (const session of [{ ...valid, version: 1.5 }, { ...valid, createdAt: new Date(Number.NaN) }]) {
      expect(Exit.isFailure(Effect.runSyncExit(encodeSession(session)))).toBe(true)
      expect(Exit.isFailure(bySchema(SessionSchema, session))).toBe(true)
    }
  })
})
