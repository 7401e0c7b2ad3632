import { fc, it } from "@fast-check/vitest"
import {
  isPhoneNumber,
  OrgId,
  sessionDecider,
  SessionEvent,
  SessionId,
  type SessionState,
  WaIdentity
} from "@wa-gateway/domain"
import { Either, Schema } from "effect"
import { describe, expect } from "vitest"
import {
  commandSequenceArb,
  invalidPhoneArb,
  lifecycleCommandSequenceArb,
  orgIdArb,
  phoneNumberArb,
  sessionCommandArb,
  sessionEventArb,
  sessionHistoryArb,
  sessionIdArb,
  sessionRunArb,
  validHistoryArb,
  waIdentityArb
} from "./arbitraries.js"

const foldHistory = (history: ReadonlyArray<SessionEvent>): SessionState => history.reduce(sessionDecider.evolve, sessionDecider.initialState)

const sample = <A>(arb: fc.Arbitrary<A>, numRuns = 500) => fc.sample(arb, { numRuns, seed: 42 })

describe("id arbitraries", () => {
  it.prop([sessionIdArb])("session ids are valid", (id) => {
    expect(Schema.is(SessionId)(id)).toBe(true)
  })
  it.prop([orgIdArb])("org ids are valid", (id) => {
    expect(Schema.is(OrgId)(id)).toBe(true)
  })
  it.prop([phoneNumberArb])("phone numbers are valid", (phone) => {
    expect(isPhoneNumber(phone)).toBe(true)
  })
  it.prop([invalidPhoneArb])("invalid phone numbers are invalid", (phone) => {
    expect(isPhoneNumber(phone)).toBe(false)
  })
  it.prop([waIdentityArb])("identities decode as WaIdentity", (identity) => {
    expect(Schema.decodeUnknownSync(WaIdentity)(Schema.encodeSync(WaIdentity)(identity))).toEqual(identity)
  })
})

describe("event arbitraries", () => {
  it.prop([sessionEventArb])("every event survives a JSON round trip through its schema, as stores do", (event) => {
    const stored = JSON.parse(JSON.stringify(Schema.encodeSync(SessionEvent)(event)))
    expect(Schema.decodeUnknownSync(SessionEvent)(stored)).toEqual(event)
  })

  it("generate every event type", () => {
    expect(new Set(sample(sessionEventArb).map((e) => e._tag))).toEqual(
      new Set(["SessionCreated", "PairingStarted", "SessionPaired", "PairingFailed", "LoggedOut", "SessionDeleted"])
    )
  })
})

describe("command arbitraries", () => {
  it("generate every command", () => {
    expect(new Set(sample(sessionCommandArb).map((c) => c._tag))).toEqual(
      new Set(["CreateSession", "StartQrPairing", "StartCodePairing", "CompletePairing", "FailPairing", "Logout", "DeleteSession"])
    )
  })

  it.prop([lifecycleCommandSequenceArb])("lifecycle sequences never create", (commands) => {
    expect(commands.map((c): string => c._tag)).not.toContain("CreateSession")
  })

  it("command sequences mostly open with a CreateSession", () => {
    const opened = sample(commandSequenceArb).filter((commands) => commands[0]?._tag === "CreateSession").length
    expect(opened).toBeGreaterThan(300)
  })
})

describe("valid histories", () => {
  it.prop([sessionHistoryArb])("replay through decide: every event is what decide emitted for some command", (history) => {
    expect(history[0]?._tag).toBe("SessionCreated")
    // Each event after the first is allowed in the state before it: no history jumps a precondition.
    history.reduce<SessionState>((before, event, i) => {
      if (i > 0) {
        const allowedFrom: Record<SessionEvent["_tag"], ReadonlyArray<string>> = {
          SessionCreated: [],
          PairingStarted: ["unpaired", "logged_out", "pairing"],
          SessionPaired: ["pairing"],
          PairingFailed: ["pairing"],
          LoggedOut: ["paired"],
          SessionDeleted: ["unpaired", "pairing", "paired", "logged_out"]
        }
        expect(allowedFrom[event._tag]).toContain(before.status)
      }
      return sessionDecider.evolve(before, event)
    }, sessionDecider.initialState)
  })

  it.prop([sessionRunArb()])("a run's events are exactly what decide accepted, in order", (run) => {
    const [create] = run.commands
    if (create?._tag !== "CreateSession") throw new Error("a run starts with CreateSession")
    let state: SessionState = sessionDecider.initialState
    const replayed = run.commands.flatMap((command) => {
      const outcome = sessionDecider.decide(command, state)
      if (Either.isLeft(outcome)) return []
      state = outcome.right.reduce(sessionDecider.evolve, state)
      return [...outcome.right]
    })
    expect(replayed).toEqual(run.events)
    expect(run.state).toEqual(state)
  })

  it("reach every status", () => {
    const statuses = new Set(sample(sessionHistoryArb).map((history) => foldHistory(history).status))
    expect(statuses).toEqual(new Set(["unpaired", "pairing", "paired", "logged_out", "deleted"]))
  })

  it.prop([validHistoryArb({ deleted: "never" })])("can be kept live", (history) => {
    expect(foldHistory(history).status).not.toBe("deleted")
  })

  it.prop([validHistoryArb({ deleted: "always", maxSteps: 5 })])("can be made to end deleted", (history) => {
    expect(history.at(-1)?._tag).toBe("SessionDeleted")
    expect(history.length).toBeLessThanOrEqual(7)
  })
})
