import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { PAGE_SIZE, PageCursor, PageSize, PushName, SessionName, TEXT_MAX_CHARACTERS } from "./input-rules.js"

describe("the input rules", () => {
  it("a name or push name is at most 100 characters counted in code points, and storable", () => {
    for (const schema of [SessionName, PushName]) {
      const is = Schema.is(schema)
      expect(is("😀".repeat(TEXT_MAX_CHARACTERS))).toBe(true)
      expect(is("😀".repeat(TEXT_MAX_CHARACTERS + 1))).toBe(false)
      expect(is("a".repeat(TEXT_MAX_CHARACTERS + 1))).toBe(false)
      expect(is("a\u0000b")).toBe(false)
      expect(is("\ud800")).toBe(false)
      expect(is("")).toBe(true)
    }
  })

  it("a page holds 1 to 100 sessions", () => {
    const is = Schema.is(PageSize)
    expect([is(PAGE_SIZE.min), is(PAGE_SIZE.max), is(PAGE_SIZE.default)]).toEqual([true, true, true])
    expect([is(0), is(101), is(2.5), is(Number.NaN)]).toEqual([false, false, false, false])
    expect(PAGE_SIZE).toEqual({ min: 1, max: 100, default: 20 })
  })

  it("a page cursor names a session and a date the store can compare against", () => {
    const is = Schema.is(PageCursor)
    const sessionId = "sess_01HZX8K3M9ABCDEFGHJKMNPQRS"
    expect(is({ createdAt: new Date("2026-01-01T00:00:00Z"), sessionId })).toBe(true)
    expect(is({ createdAt: new Date("not a date"), sessionId })).toBe(false)
    expect(is({ createdAt: new Date("2026-01-01T00:00:00Z"), sessionId: "sess_nope" })).toBe(false)
  })
})
