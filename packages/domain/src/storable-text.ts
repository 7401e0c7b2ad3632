import { Schema } from "effect"

// PostgreSQL text and jsonb cannot hold U+0000, and a lone UTF-16 surrogate
// does not survive UTF-8; neither is ever meaningful in a name. Input from a
// client is refused at the boundary (400); text from an engine (a push name
// WhatsApp sent) is made storable instead, so the event it carries is kept.

// With the `u` flag a surrogate pair is one code point, so only lone halves match.
const UNSTORABLE = /\u0000|[\ud800-\udfff]/u

const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, "gu")

/** Whether the database can keep this text exactly. */
export const isStorableText = (text: string): boolean => !UNSTORABLE.test(text)

/** The text with every NUL and lone surrogate replaced by U+FFFD. */
export const toStorableText = (text: string): string => text.replace(UNSTORABLE_ALL, "\ufffd")

/** A string the store can keep exactly: no NUL, no lone surrogate. */
export const StorableText = Schema.String.pipe(
  Schema.filter(isStorableText, { message: () => "must not contain NUL characters or unpaired surrogates" })
)
