import { fc, it as prop } from "@fast-check/vitest"
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { PhoneDigits } from "../sessions/api.js"
import { phoneProblem } from "./app/phone.js"

const phoneLike = fc.oneof(
  fc.string(),
  fc.stringMatching(/^[+ 0-9-]{0,18}$/),
  fc.stringMatching(/^[0-9]{6,17}$/)
)

describe("the page's check of a phone number", () => {
  prop.prop([phoneLike])("takes exactly what the API's schema takes", (input) => {
    expect(phoneProblem(input) === null).toBe(Schema.is(PhoneDigits)(input))
  })

  it("says what is wrong in words", () => {
    expect(phoneProblem("+628123456789")).toMatch(/Leave out the \+/)
    expect(phoneProblem("62 812 3456")).toMatch(/Digits only/)
    expect(phoneProblem("1234567")).toMatch(/8 to 15 digits; this has 7/)
    expect(phoneProblem("")).toMatch(/international format/)
  })
})
