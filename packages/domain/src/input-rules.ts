import { Schema } from "effect"
import { SessionId } from "./ids.js"
import { StorableDate } from "./storable-date.js"
import { StorableText } from "./storable-text.js"

// The rules for what callers send, stated once: the HTTP schemas (and so the
// OpenAPI document), `createGateway`'s checks and the simulator's routes all
// build on these.

/** How long a session name or a push name may be (API.md: ≤ 100 characters). */
export const TEXT_MAX_CHARACTERS = 100

/**
 * At most `max` characters, counted as Unicode code points like JSON
 * Schema's `maxLength` (an emoji is one character, not two UTF-16 units).
 */
export const codePointsAtMost = (max: number) => <A extends string, I, R>(self: Schema.Schema<A, I, R>) =>
  self.pipe(
    Schema.filter((text) => [...text].length <= max, {
      message: () => `Expected a string at most ${max} character(s) long`,
      jsonSchema: { maxLength: max }
    })
  )

/** Text a client asks the store to keep: at most `max` characters, and storable (no NUL, no lone surrogate). */
export const storableTextOfAtMost = (max: number) => StorableText.pipe(codePointsAtMost(max))

/** A session's name. */
export const SessionName = storableTextOfAtMost(TEXT_MAX_CHARACTERS)

/** The name a phone's owner set in WhatsApp, as a simulated phone reports it. */
export const PushName = storableTextOfAtMost(TEXT_MAX_CHARACTERS)

/** How many sessions a page lists. */
export const PAGE_SIZE = { min: 1, max: 100, default: 20 } as const

export const PageSize = Schema.Int.pipe(Schema.between(PAGE_SIZE.min, PAGE_SIZE.max))

/** Where the next page of a newest-first list starts: the last row of the page before. */
export const PageCursor = Schema.Struct({ createdAt: StorableDate, sessionId: SessionId })
export type PageCursor = typeof PageCursor.Type
