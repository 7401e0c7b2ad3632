import { decide } from "./decide.js"
import { evolve } from "./evolve.js"
import { initialState } from "./state.js"

/**
 * The session aggregate as one decider (Emmett's shape): `decide` is pure and
 * answers the events a command emits or the domain error it fails with;
 * `evolve` folds one event into the state; a stream starts at `initialState`.
 */
export const sessionDecider = { decide, evolve, initialState } as const

export type SessionDecider = typeof sessionDecider
