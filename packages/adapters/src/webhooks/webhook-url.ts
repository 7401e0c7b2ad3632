import { Schema } from "effect"

const MAX_URL_LENGTH = 2_000

const problemOf = (text: string): string | null => {
  if (text.length > MAX_URL_LENGTH) return `a URL of at most ${MAX_URL_LENGTH} characters`
  if (!URL.canParse(text)) return "an absolute http:// or https:// URL"
  const url = new URL(text)
  if (url.protocol !== "http:" && url.protocol !== "https:") return "an absolute http:// or https:// URL"
  if (url.username !== "" || url.password !== "") return "a URL without user info"
  return null
}

/** spec/EVENTS.md: absolute `http://` or `https://`, at most 2,000 characters, no user info. */
export const WebhookUrl = Schema.String.pipe(
  Schema.filter((text) => {
    const problem = problemOf(text)
    return problem === null ? true : `Expected ${problem}`
  }, { jsonSchema: { format: "uri", maxLength: MAX_URL_LENGTH } }),
  Schema.brand("WebhookUrl"),
  Schema.annotations({ identifier: "WebhookUrl", description: "absolute http:// or https:// URL, at most 2,000 characters, no user info" })
)
export type WebhookUrl = typeof WebhookUrl.Type
