import { Cause, Effect, Exit, Option } from "effect"
import {
  decide,
  evolve,
  initialState,
  type SessionCommand,
  type SessionError,
  type SessionEvent,
  type SessionState
} from "@wa-gateway/domain"

/**
 * A decider as three plain functions (Emmett's shape). `decide` is an Effect
 * so a refused command is a typed failure rather than a thrown exception.
 */
export interface Decider<Command, Event, State, Err> {
  readonly decide: (command: Command, state: State) => Effect.Effect<ReadonlyArray<Event>, Err>
  readonly evolve: (state: State, event: Event) => State
  readonly initialState: State
}

/** What `thenFails` accepts: an error class with a static `_tag`, like every `Schema.TaggedError`. */
export interface TaggedErrorClass {
  readonly _tag: string
  readonly name: string
}

export interface DeciderThen<Event, State> {
  /** The command is accepted and emits exactly these events, in order. */
  readonly then: (expected: ReadonlyArray<Event>) => State
  /** The command is refused with an error of this class (compared by `_tag`), optionally with these fields. */
  readonly thenFails: (errorClass: TaggedErrorClass, fields?: Readonly<Record<string, unknown>>) => void
}

export interface DeciderWhen<Command, Event, State> {
  readonly when: (command: Command) => DeciderThen<Event, State>
}

/** A given/when/then specification failed; plain `Error` so any test runner reports it. */
export class DeciderSpecificationError extends Error {
  override readonly name = "DeciderSpecificationError"
}

const show = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${v}n` : v), 2) ?? String(value)

/** Structural equality over the plain data events are made of (own enumerable fields, arrays, primitives). */
export const deepEqual = (a: unknown, b: unknown): boolean => {
  if (Object.is(a, b)) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime()
  }
  const aEntries = Object.entries(a)
  const bKeys = new Set(Object.keys(b))
  if (aEntries.length !== bKeys.size) return false
  return aEntries.every(([key, value]) => bKeys.has(key) && deepEqual(value, (b as Record<string, unknown>)[key]))
}

const tagOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string" ? error._tag : undefined

/**
 * `spec(decider)(givenEvents).when(command).then(expectedEvents)` or
 * `.thenFails(ErrorClass)`. Throws `DeciderSpecificationError` on a mismatch.
 */
export const deciderSpecification = <Command, Event, State, Err>(decider: Decider<Command, Event, State, Err>) =>
(given: ReadonlyArray<Event>): DeciderWhen<Command, Event, State> => ({
  when: (command) => {
    const state = given.reduce(decider.evolve, decider.initialState)
    const exit = Effect.runSyncExit(decider.decide(command, state))
    const context = () => `given ${show(given)}\nwhen ${show(command)}`
    return {
      then: (expected) => {
        // A thenable by accident: `await spec.when(c)` would call then(resolve, reject).
        if (typeof expected === "function") {
          throw new DeciderSpecificationError("then() expects the events to be emitted, not a callback (was the spec awaited?)")
        }
        if (Exit.isFailure(exit)) {
          throw new DeciderSpecificationError(
            `${context()}\nexpected events ${show(expected)}\nbut the command failed with ${show(Cause.squash(exit.cause))}`
          )
        }
        if (!deepEqual(exit.value, expected)) {
          throw new DeciderSpecificationError(`${context()}\nexpected events ${show(expected)}\nbut got ${show(exit.value)}`)
        }
        return exit.value.reduce(decider.evolve, state)
      },
      thenFails: (errorClass, fields) => {
        if (Exit.isSuccess(exit)) {
          throw new DeciderSpecificationError(
            `${context()}\nexpected to fail with ${errorClass._tag}\nbut it emitted ${show(exit.value)}`
          )
        }
        const failure = Cause.failureOption(exit.cause)
        if (Option.isNone(failure)) {
          throw new DeciderSpecificationError(`${context()}\nexpected to fail with ${errorClass._tag}\nbut it died: ${Cause.pretty(exit.cause)}`)
        }
        const error = failure.value
        if (tagOf(error) !== errorClass._tag) {
          throw new DeciderSpecificationError(`${context()}\nexpected to fail with ${errorClass._tag}\nbut it failed with ${show(error)}`)
        }
        for (const [key, value] of Object.entries(fields ?? {})) {
          const actual = (error as Record<string, unknown>)[key]
          if (!deepEqual(actual, value)) {
            throw new DeciderSpecificationError(
              `${context()}\nexpected ${errorClass._tag}.${key} to be ${show(value)}\nbut it was ${show(actual)}`
            )
          }
        }
      }
    }
  }
})

/** The stream id a test session uses unless its history or command names another. */
export const defaultStreamId = "sess_01HZX8K3M9ABCDEFGHJKMNPQRS"

/**
 * The session decider over one stream. `decide` needs the stream's id only for
 * the errors of a stream with no state; by default it is taken from the
 * state, else from a `CreateSession`, else `defaultStreamId`.
 */
export const sessionDecider = (streamId?: string): Decider<SessionCommand, SessionEvent, SessionState, SessionError> => ({
  decide: (command, state) =>
    decide(
      command,
      state,
      streamId ?? (state.status !== "none" ? state.sessionId : command._tag === "CreateSession" ? command.sessionId : defaultStreamId)
    ),
  evolve,
  initialState
})

/**
 * Given/when/then for the session aggregate:
 * `given([created]).when(new StartPairing({ method: "qr" })).then([new PairingStarted({ method: "qr" })])`.
 */
export const given = deciderSpecification(sessionDecider())
