import {
  CreateSession,
  DeleteSession,
  OrgId,
  PairingAttemptId,
  PairingStarted,
  SessionCreated,
  SessionDeleted,
  SessionExists,
  SessionId,
  SessionNotFound,
  StartQrPairing
} from "@wa-gateway/domain"
import { Data, Either } from "effect"
import { describe, expect, it } from "vitest"
import { deciderSpecification, DeciderSpecificationError, deepEqual, given } from "./decider-spec.js"

const sessionId = SessionId.make("sess_01ARYZ6S41TSV4RRFFQ69G5FAV")
const orgId = OrgId.make("acme")
const attemptId = PairingAttemptId.make("pair_01ARYZ6S41TSV4RRFFQ69G5FAV")
const created = new SessionCreated({ sessionId, orgId, name: "x" })
const startQr = new StartQrPairing({ sessionId, attemptId })

describe("given/when/then for the session decider", () => {
  it("passes when the command emits exactly the expected events, and returns the state after them", () => {
    const state = given([created]).when(startQr).then([new PairingStarted({ method: "qr", attemptId })])
    expect(state).toMatchObject({ status: "pairing", pairing: { attemptId } })
  })

  it("throws when the events differ", () => {
    expect(() => given([created]).when(startQr).then([new PairingStarted({ method: "code", attemptId })]))
      .toThrow(DeciderSpecificationError)
    expect(() => given([created]).when(startQr).then([]))
      .toThrow(/expected events \[\]/)
  })

  it("throws when events were expected but the command failed", () => {
    expect(() => given([]).when(startQr).then([new PairingStarted({ method: "qr", attemptId })]))
      .toThrow(/failed with/)
  })

  it("passes when the command fails with the expected error and fields", () => {
    given([created]).when(new CreateSession({ sessionId, orgId, name: "again" })).thenFails(SessionExists, { sessionId })
  })

  it("throws when the command fails with another error, other fields, or succeeds", () => {
    expect(() => given([created]).when(new CreateSession({ sessionId, orgId, name: "y" })).thenFails(SessionNotFound))
      .toThrow(/expected to fail with SessionNotFound/)
    expect(() => given([created]).when(new CreateSession({ sessionId, orgId, name: "y" })).thenFails(SessionExists, { sessionId: "other" }))
      .toThrow(/SessionExists.sessionId/)
    expect(() => given([created]).when(new DeleteSession({ sessionId })).thenFails(SessionNotFound))
      .toThrow(/but it emitted/)
  })

  it("refuses a callback where events belong (a spec awaited by mistake)", () => {
    const spec = given([created]).when(new DeleteSession({ sessionId }))
    expect(() => spec.then((() => undefined) as never)).toThrow(/awaited/)
  })

  it("needs nothing but the command and the state: a missing stream's error names the command's session", () => {
    given([created, new SessionDeleted()]).when(new DeleteSession({ sessionId })).thenFails(SessionNotFound, { sessionId })
    const other = SessionId.make("sess_01ARYZ6S41TSV4RRFFQ69G5FAW")
    given([]).when(new DeleteSession({ sessionId: other })).thenFails(SessionNotFound, { sessionId: other })
  })
})

describe("deciderSpecification", () => {
  // Any decider of the same shape works, not only the session's.
  class Overdrawn extends Data.TaggedError("Overdrawn")<{ readonly balance: number }> {
    static readonly _tag = "Overdrawn"
  }
  type Event = { readonly _tag: "Deposited" | "Withdrawn"; readonly amount: number }
  const account = deciderSpecification<number, Event, number, Overdrawn>({
    initialState: 0,
    evolve: (balance, e) => (e._tag === "Deposited" ? balance + e.amount : balance - e.amount),
    decide: (amount, balance) =>
      amount >= 0
        ? Either.right([{ _tag: "Deposited", amount }])
        : balance + amount < 0
        ? Either.left(new Overdrawn({ balance }))
        : Either.right([{ _tag: "Withdrawn", amount: -amount }])
  })

  it("works for any decider", () => {
    expect(account([{ _tag: "Deposited", amount: 5 }]).when(-3).then([{ _tag: "Withdrawn", amount: 3 }])).toBe(2)
    account([{ _tag: "Deposited", amount: 5 }]).when(-6).thenFails(Overdrawn, { balance: 5 })
  })

  it("reports a decider that throws instead of a typed failure", () => {
    const throwing = deciderSpecification<number, Event, number, never>({
      initialState: 0,
      evolve: (s) => s,
      decide: () => {
        throw new Error("bug")
      }
    })
    expect(() => throwing([]).when(1).thenFails(Overdrawn)).toThrow(/the decider threw: Error: bug/)
    expect(() => throwing([]).when(1).then([])).toThrow(/the decider threw/)
  })
})

describe("deepEqual", () => {
  it("compares plain data structurally", () => {
    expect(deepEqual({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toBe(true)
    expect(deepEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false)
    expect(deepEqual({ a: 1, b: 2 }, { a: 1, c: 2 })).toBe(false)
    expect(deepEqual([1], { 0: 1 })).toBe(false)
    expect(deepEqual(new Date(1), new Date(1))).toBe(true)
    expect(deepEqual(new Date(1), new Date(2))).toBe(false)
    expect(deepEqual(new PairingStarted({ method: "qr", attemptId }), new PairingStarted({ method: "qr", attemptId }))).toBe(true)
    expect(deepEqual(NaN, NaN)).toBe(true)
    expect(deepEqual(null, {})).toBe(false)
  })
})
