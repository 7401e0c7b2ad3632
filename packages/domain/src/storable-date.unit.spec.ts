import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { isStorableDate, StorableDate } from "./storable-date.js"

describe("storable date", () => {
  it("holds every valid Date from 4714-11-24 BC to the last day of JS dates", () => {
    expect(isStorableDate(new Date("2026-12-01T09:00:00.000Z"))).toBe(true)
    expect(isStorableDate(new Date("-004713-11-24T00:00:00.000Z"))).toBe(true)
    expect(isStorableDate(new Date(8.64e15))).toBe(true)
  })

  it("refuses an invalid Date and any instant before the first day of the Julian count", () => {
    expect(isStorableDate(new Date("2020-13-45T99:00:00Z"))).toBe(false)
    expect(isStorableDate(new Date(Number.NaN))).toBe(false)
    expect(isStorableDate(new Date("-004713-11-23T23:59:59.999Z"))).toBe(false)
    expect(isStorableDate(new Date(-8.64e15))).toBe(false)
  })

  it("is the rule of the StorableDate schema", () => {
    expect(Schema.is(StorableDate)(new Date("x"))).toBe(false)
    expect(Schema.is(StorableDate)(new Date(0))).toBe(true)
    expect(Schema.is(StorableDate)("2020-01-01")).toBe(false)
  })
})
