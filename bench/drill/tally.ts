// Counts of what a step's requests got back.
import { type Answer, isEnvelope } from "./answers.js"

export interface Tally {
  requests: number
  /** 2xx answers: changes or reads the server confirmed. */
  acknowledged: number
  /** 5xx answers (503 counted apart from the rest). */
  unavailable: number
  serverErrors: number
  /** No answer: refused, reset or timed out. */
  unanswered: number
  /** Non-2xx answers whose body is not the envelope. */
  outsideEnvelope: number
  /** Statuses by count, for the report. */
  readonly statuses: Record<string, number>
  /** A few answers worth showing (5xx, outside the envelope). */
  readonly examples: Array<string>
}

export const emptyTally = (): Tally => ({
  requests: 0,
  acknowledged: 0,
  unavailable: 0,
  serverErrors: 0,
  unanswered: 0,
  outsideEnvelope: 0,
  statuses: {},
  examples: []
})

const EXAMPLES_KEPT = 10

export const note = (tally: Tally, example: string): void => {
  if (tally.examples.length < EXAMPLES_KEPT) tally.examples.push(example.slice(0, 300))
}

/** Counts one answer; `what` names the request in an example. */
export const count = (
  tally: Tally,
  answer: Pick<Answer, "status" | "body"> & { readonly failure?: string },
  what: string,
  options: { readonly bodiless?: boolean } = {}
): void => {
  tally.requests++
  const status = answer.status
  tally.statuses[String(status)] = (tally.statuses[String(status)] ?? 0) + 1
  if (status === 0) {
    tally.unanswered++
    note(tally, `${what} → no answer${answer.failure === undefined ? "" : ` (${answer.failure})`}`)
    return
  }
  if (status >= 200 && status < 300) tally.acknowledged++
  else if (options.bodiless !== true && !isEnvelope(answer.body)) {
    tally.outsideEnvelope++
    note(tally, `${what} → ${status} outside the envelope: ${JSON.stringify(answer.body)}`)
  }
  if (status === 503) tally.unavailable++
  else if (status >= 500) {
    tally.serverErrors++
    note(tally, `${what} → ${status} ${JSON.stringify(answer.body)}`)
  }
}

export const merge = (tallies: ReadonlyArray<Tally>): Tally => {
  const total = emptyTally()
  for (const t of tallies) {
    total.requests += t.requests
    total.acknowledged += t.acknowledged
    total.unavailable += t.unavailable
    total.serverErrors += t.serverErrors
    total.unanswered += t.unanswered
    total.outsideEnvelope += t.outsideEnvelope
    for (const [status, n] of Object.entries(t.statuses)) total.statuses[status] = (total.statuses[status] ?? 0) + n
    for (const example of t.examples) note(total, example)
  }
  return total
}
