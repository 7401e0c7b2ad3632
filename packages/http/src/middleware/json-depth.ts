/** How deep a request body's JSON may nest; every body this API takes is one flat object. */
export const JSON_DEPTH_LIMIT = 32

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPENERS = new Set([0x7b, 0x5b]) // { [
const CLOSERS = new Set([0x7d, 0x5d]) // } ]

/**
 * Whether the JSON in `text` nests objects and arrays deeper than `limit`, in
 * one pass over its characters (brackets inside strings do not count). It runs
 * before JSON.parse and the schema: a value nested thousands deep overflows the
 * stack while the schema's error message is formatted. Malformed JSON is left
 * to JSON.parse to refuse.
 */
export const nestsDeeperThan = (text: string, limit: number): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (inString) {
      if (code === BACKSLASH) i++
      else if (code === QUOTE) inString = false
    } else if (code === QUOTE) {
      inString = true
    } else if (OPENERS.has(code)) {
      depth++
      if (depth > limit) return true
    } else if (CLOSERS.has(code)) {
      depth--
    }
  }
  return false
}
