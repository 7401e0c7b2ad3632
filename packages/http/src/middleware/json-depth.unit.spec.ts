import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { nestsDeeperThan } from "./json-depth.js"

const nested = (depth: number): string => "[".repeat(depth) + "]".repeat(depth)

describe("nestsDeeperThan", () => {
  it("counts objects and arrays alike, up to the limit and one past it", () => {
    expect(nestsDeeperThan(nested(3), 3)).toBe(false)
    expect(nestsDeeperThan(nested(4), 3)).toBe(true)
    expect(nestsDeeperThan(`{"a":{"b":[{"c":1}]}}`, 4)).toBe(false)
    expect(nestsDeeperThan(`{"a":{"b":[{"c":[]}]}}`, 4)).toBe(true)
  })

  it("measures the deepest point, not the total of brackets", () => {
    expect(nestsDeeperThan(`[${Array.from({ length: 1000 }, () => "[[]]").join(",")}]`, 3)).toBe(false)
  })

  it("ignores brackets inside strings, escaped quotes included", () => {
    expect(nestsDeeperThan(`{"name":"${"[{".repeat(100)}"}`, 1)).toBe(false)
    expect(nestsDeeperThan(`{"name":"a\\"[[[[\\\\"}`, 1)).toBe(false)
    expect(nestsDeeperThan(`{"name":"a\\\\"}${"[".repeat(5)}`, 1)).toBe(true)
  })

  it("judges 7,000 levels without recursion", () => {
    expect(nestsDeeperThan(`${"{\"name\":".repeat(7000)}"x"${"}".repeat(7000)}`, 32)).toBe(true)
  })

  it("agrees with the depth of any JSON value", () => {
    const depthOf = (value: unknown): number =>
      typeof value === "object" && value !== null ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 7 }), (value, limit) => {
        expect(nestsDeeperThan(JSON.stringify(value), limit)).toBe(depthOf(value) > limit)
      })
    )
  })
})
