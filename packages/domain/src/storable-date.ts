import { Schema } from "effect"

// PostgreSQL's timestamptz reaches back to 4714-11-24 BC (the first day of the
// Julian day count, astronomical year -4713) and forward to 294276 AD, past
// the last day a JS Date can hold (+275760-09-13). A date from a client (a
// page cursor) outside that, or an invalid Date, would fail in the store as if
// the store were down; it is refused at the boundary instead.

const EARLIEST_STORABLE_MS = Date.UTC(-4713, 10, 24)

/** Whether the store's timestamp can hold this date: a valid Date, not before 4714-11-24 BC. */
export const isStorableDate = (date: Date): boolean => {
  const millis = date.getTime()
  return !Number.isNaN(millis) && millis >= EARLIEST_STORABLE_MS
}

/** A Date the store can hold (see `isStorableDate`). */
export const StorableDate = Schema.DateFromSelf.pipe(
  Schema.filter(isStorableDate, { message: () => "must be a valid date from 4714-11-24 BC to 275760-09-13" })
)
