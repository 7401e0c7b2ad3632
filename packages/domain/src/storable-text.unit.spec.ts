import { fc, it } from "@fast-check/vitest"
import { Schema } from "effect"
import { describe, expect } from "vitest"
import { isStorableText, StorableText, toStorableText } from "./storable-text.js"

describe("storable text", () => {
  it("refuses NUL and lone surrogates, keeps pairs and everything else", () => {
    expect(isStorableText("a\u0000b")).toBe(false)
    expect(isStorableText("\ud800")).toBe(false)
    expect(isStorableText("x\udc00y")).toBe(false)
    expect(isStorableText("\udc00\ud800")).toBe(false)
    expect(isStorableText("Acme 😀 Support")).toBe(true)
    expect(isStorableText("")).toBe(true)
  })

  it("replaces each unstorable character by U+FFFD", () => {
    expect(toStorableText("a\u0000b\ud800c")).toBe("a\ufffdb\ufffdc")
    expect(toStorableText("😀")).toBe("😀")
  })

  it.prop([fc.string({ unit: "binary" })])("makes any text storable, changing nothing already storable", (text) => {
    const stored = toStorableText(text)
    expect(isStorableText(stored)).toBe(true)
    expect([...stored].length).toBe([...text].length)
    if (isStorableText(text)) expect(stored).toBe(text)
  })

  it("is the rule of the StorableText schema", () => {
    expect(Schema.is(StorableText)("a\u0000")).toBe(false)
    expect(Schema.is(StorableText)("ok")).toBe(true)
  })
})
