import { Either } from "effect"
import { sessionDecider } from "@wa-gateway/domain"

/**
 * A decider as three plain members (Emmett's shape). `decide` is pure and
 * answers `Either`, so a refused command is a typed value, not a throw.
 */
export interface Decider<Command, Event, State, Err> {
  readonly decide: (command: Command, state: State) => Either.Either<ReadonlyArray<Event>, Err>
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
    let decision: Either.Either<ReadonlyArray<Event>, Err>
    try {
      decision = decider.decide(command, state)
    } catch (defect) {
      // A decider that throws has a bug; say so rather than passing or failing on a typed error.
      throw new DeciderSpecificationError(`given ${show(given)}\nwhen ${show(command)}\nthe decider threw: ${String(defect)}`)
    }
    const context = () => `given ${show(given)}\nwhen ${show(command)}`
    return {
      then: (expected) => {
        // A thenable by accident: `await spec.when(c)` would call then(resolve, reject).
        if (typeof expected === "function") {
          throw new DeciderSpecificationError("then() expects the events to be emitted, not a callback (was the spec awaited?)")
        }
        if (Either.isLeft(decision)) {
          throw new DeciderSpecificationError(
            `${context()}\nexpected events ${show(expected)}\nbut the command failed with ${show(decision.left)}`
          )
        }
        if (!deepEqual(decision.right, expected)) {
          throw new DeciderSpecificationError(`${context()}\nexpected events ${show(expected)}\nbut got ${show(decision.right)}`)
        }
        return decision.right.reduce(decider.evolve, state)
      },
      thenFails: (errorClass, fields) => {
        if (Either.isRight(decision)) {
          throw new DeciderSpecificationError(
            `${context()}\nexpected to fail with ${errorClass._tag}\nbut it emitted ${show(decision.right)}`
          )
        }
        const error = decision.left
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

/**
 * Given/when/then for the session aggregate:
 * `given([created]).when(new StartPairing({ sessionId, attemptId, method: "qr" })).then([new PairingStarted({ method: "qr", attemptId })])`.
 */
export const given = deciderSpecification(sessionDecider)
