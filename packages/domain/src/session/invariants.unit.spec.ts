import { fc, it } from "@fast-check/vitest"
import { Either } from "effect"
import { describe, expect } from "vitest"
// The testkit's sources, not its index: the index also exports adapters and http.
import {
  commandSequenceArb,
  completePairingArb,
  invalidStartCodePairingArb,
  sessionCommandArb,
  sessionHistoryArb,
  validStartPairingArb
} from "../../../testkit/src/arbitraries.js"
import { isPhoneNumber } from "../ids.js"
import type { SessionCommand } from "./commands.js"
import { sessionDecider } from "./decider.js"
import type { SessionError } from "./errors.js"
import type { SessionEvent } from "./events.js"
import { fold } from "./evolve.js"
import { initialState, type SessionState } from "./state.js"

// The invariants of DESIGN §2, each a property over random histories and commands.

const run = (command: SessionCommand, state: SessionState): Either.Either<ReadonlyArray<SessionEvent>, SessionError> =>
  sessionDecider.decide(command, state)

interface Step {
  readonly before: SessionState
  readonly command: SessionCommand
  readonly outcome: Either.Either<ReadonlyArray<SessionEvent>, SessionError>
  readonly after: SessionState
  /** Every event accepted so far, this step's included: the stream as stored. */
  readonly stream: ReadonlyArray<SessionEvent>
}

/** Drives one stream through the commands, the way SessionService does: fold the stream, decide, append. */
const walk = (commands: ReadonlyArray<SessionCommand>): ReadonlyArray<Step> => {
  const steps: Array<Step> = []
  let stream: ReadonlyArray<SessionEvent> = []
  let state = initialState
  for (const command of commands) {
    const outcome = run(command, state)
    const emitted = Either.getOrElse(outcome, () => [])
    const after = emitted.reduce(sessionDecider.evolve, state)
    stream = [...stream, ...emitted]
    steps.push({ before: state, command, outcome, after, stream })
    state = after
  }
  return steps
}

type Status = SessionState["status"]

/** The attempt a pairing session is on; engine reports of any other are stale. */
const currentAttempt = (state: SessionState) => (state.status === "pairing" ? state.pairing.attemptId : undefined)

/**
 * The table of DESIGN §2, written out again independently of `decide`:
 * the one event a command may emit in a state, or the error it must fail with.
 */
const allowed = (state: SessionState, command: SessionCommand): { readonly event: SessionEvent["_tag"] } | { readonly error: SessionError["_tag"] } => {
  const status = state.status
  if (status === "deleted") return { error: "SessionNotFound" }
  if (status === "none") return command._tag === "CreateSession" ? { event: "SessionCreated" } : { error: "SessionNotFound" }
  switch (command._tag) {
    case "CreateSession":
      return { error: "SessionExists" }
    case "StartQrPairing":
      return status === "paired" ? { error: "AlreadyPaired" } : { event: "PairingStarted" }
    case "StartCodePairing":
      if (status === "paired") return { error: "AlreadyPaired" }
      return isPhoneNumber(command.phone) ? { event: "PairingStarted" } : { error: "InvalidPhone" }
    case "CompletePairing":
      if (status !== "pairing") return { error: "NotPairing" }
      return command.attemptId === currentAttempt(state) ? { event: "SessionPaired" } : { error: "StalePairingAttempt" }
    case "FailPairing":
      if (status !== "pairing") return { error: "NotPairing" }
      return command.attemptId === undefined || command.attemptId === currentAttempt(state)
        ? { event: "PairingFailed" }
        : { error: "StalePairingAttempt" }
    case "Logout":
      return status === "paired" ? { event: "LoggedOut" } : { error: "NotPaired" }
    case "DeleteSession":
      return { event: "SessionDeleted" }
  }
}

/** The fields the emitted event must carry, taken from the command. */
const expectedPayload = (command: SessionCommand): Record<string, unknown> => {
  switch (command._tag) {
    case "CreateSession":
      return { sessionId: command.sessionId, orgId: command.orgId, name: command.name }
    case "StartQrPairing":
      return { method: "qr", attemptId: command.attemptId }
    case "StartCodePairing":
      return { method: "code", phone: command.phone, attemptId: command.attemptId }
    case "CompletePairing":
      return { ...command.identity }
    case "FailPairing":
      return { reason: command.reason }
    case "Logout":
      return { by: command.by }
    case "DeleteSession":
      return {}
  }
}

/** A random stream, empty or valid, and a random command for it. */
const historyOrNothing = fc.oneof({ weight: 1, arbitrary: fc.constant([]) }, { weight: 6, arbitrary: sessionHistoryArb })

describe("the session aggregate (DESIGN §2)", () => {
  it.prop([historyOrNothing, sessionCommandArb])(
    "accepts a command iff its precondition holds, and then emits exactly the one event the table allows",
    (history, command) => {
      const state = fold(history, initialState)
      const expected = allowed(state, command)
      const outcome = run(command, state)
      if ("event" in expected) {
        expect(Either.isRight(outcome)).toBe(true)
        const events = Either.getOrThrow(outcome)
        expect(events).toHaveLength(1)
        expect({ ...events[0] }).toEqual({ _tag: expected.event, ...expectedPayload(command) })
      } else {
        expect(Either.isLeft(outcome)).toBe(true)
        expect(Either.flip(outcome).pipe(Either.getOrThrow)._tag).toBe(expected.error)
      }
    }
  )

  it.prop([commandSequenceArb])("a session has an identity iff it is paired", (commands) => {
    for (const { after } of walk(commands)) {
      expect("identity" in after).toBe(after.status === "paired")
      expect("pairing" in after).toBe(after.status === "pairing")
    }
  })

  it.prop([commandSequenceArb])("a session becomes paired only from pairing", (commands) => {
    for (const { before, after } of walk(commands)) {
      if (after.status === "paired" && before.status !== "paired") expect(before.status).toBe("pairing")
    }
  })

  it.prop([commandSequenceArb])("pairing starts only from unpaired, logged_out or pairing", (commands) => {
    for (const { before, after, command, outcome } of walk(commands)) {
      if ((command._tag === "StartQrPairing" || command._tag === "StartCodePairing") && Either.isRight(outcome)) {
        expect(["unpaired", "logged_out", "pairing"]).toContain(before.status)
        expect(after.status).toBe("pairing")
      }
    }
  })

  it.prop([commandSequenceArb])("a failed pairing returns to the status before pairing began", (commands) => {
    let beforePairing: Status | null = null
    for (const { before, after } of walk(commands)) {
      if (after.status === "pairing" && before.status !== "pairing") beforePairing = before.status
      if (before.status === "pairing" && after.status !== "pairing" && after.status !== "paired" && after.status !== "deleted") {
        expect(after.status).toBe(beforePairing)
      }
    }
  })

  it.prop([sessionHistoryArb.filter((h) => h.at(-1)?._tag === "SessionDeleted"), fc.array(sessionCommandArb, { minLength: 1, maxLength: 10 })])(
    "a deleted session is terminal: every later command fails with SessionNotFound and emits nothing",
    (history, commands) => {
      const state = fold(history, initialState)
      expect(state.status).toBe("deleted")
      for (const command of commands) {
        const outcome = run(command, state)
        expect(Either.isLeft(outcome)).toBe(true)
        expect(Either.flip(outcome).pipe(Either.getOrThrow)).toMatchObject({ _tag: "SessionNotFound" })
      }
    }
  )

  it.prop([commandSequenceArb])("folding the stored stream gives the state decide's events were evolved into", (commands) => {
    for (const { after, stream } of walk(commands)) expect(fold(stream, initialState)).toEqual(after)
  })

  it.prop([commandSequenceArb])("a refused command changes nothing", (commands) => {
    for (const { before, after, outcome } of walk(commands)) {
      if (Either.isLeft(outcome)) expect(after).toBe(before)
    }
  })

  it.prop([sessionHistoryArb, invalidStartCodePairingArb])(
    "a phone that is not 8–15 ASCII digits without + is refused as InvalidPhone wherever pairing may start",
    (history, command) => {
      const state = fold(history, initialState)
      fc.pre(state.status === "unpaired" || state.status === "logged_out" || state.status === "pairing")
      const error = Either.flip(run(command, state)).pipe(Either.getOrThrow)
      expect(error).toMatchObject({ _tag: "InvalidPhone", phone: command.phone })
    }
  )

  it.prop([sessionHistoryArb, validStartPairingArb])(
    "a valid phone starts pairing and is remembered in the state",
    (history, command) => {
      const state = fold(history, initialState)
      fc.pre(state.status === "unpaired" || state.status === "logged_out" || state.status === "pairing")
      const after = fold(Either.getOrThrow(run(command, state)), state)
      expect(after).toMatchObject({
        status: "pairing",
        pairing: command._tag === "StartQrPairing"
          ? { attemptId: command.attemptId, method: "qr", phone: null }
          : { attemptId: command.attemptId, method: "code", phone: command.phone }
      })
    }
  )

  it.prop([sessionHistoryArb, completePairingArb])("pairing records exactly the identity WhatsApp reported", (history, command) => {
    const state = fold(history, initialState)
    fc.pre(state.status === "pairing" && state.pairing.attemptId === command.attemptId)
    const after = fold(Either.getOrThrow(run(command, state)), state)
    expect(after).toMatchObject({ status: "paired", identity: { ...command.identity } })
    expect("pairing" in after).toBe(false)
  })

  it.prop([commandSequenceArb])("an engine's report of an older attempt changes nothing", (commands) => {
    for (const { before, after, command, outcome } of walk(commands)) {
      if ((command._tag === "CompletePairing" || command._tag === "FailPairing") && command.attemptId !== undefined &&
        before.status === "pairing" && before.pairing.attemptId !== command.attemptId) {
        expect(Either.flip(outcome).pipe(Either.getOrThrow)._tag).toBe("StalePairingAttempt")
        expect(after).toBe(before)
      }
    }
  })

  it.prop([sessionHistoryArb])("every event but SessionCreated keeps the session's id, org and name", (history) => {
    const [created] = history
    if (created?._tag !== "SessionCreated") throw new Error(`a history must start with SessionCreated, not ${created?._tag}`)
    const state = fold(history, initialState)
    expect(state).toMatchObject({ sessionId: created.sessionId, orgId: created.orgId, name: created.name })
  })
})
