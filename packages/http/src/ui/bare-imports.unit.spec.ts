import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { resolveBareImports } from "./bare-imports.js"

const urls = new Map([["preact", "./preact.js"], ["preact/hooks", "./preact-hooks.js"]])

describe("resolving a dependency's bare imports to the URLs they are served at", () => {
  it("rewrites minified and spaced imports, re-exports and side-effect imports", () => {
    const source = `import{options as n}from"preact";export { useState } from 'preact/hooks';import "preact";`
    expect(resolveBareImports(source, urls)).toEqual(
      Either.right(`import{options as n}from"./preact.js";export { useState } from './preact-hooks.js';import "./preact.js";`)
    )
  })

  it("leaves relative and absolute URLs, and words that only look like imports, alone", () => {
    const source = `import a from "./a.js";import b from "/ui/b.js";const label = '<label for="replay-from">from</label>';x.from("preact")`
    expect(resolveBareImports(source, urls)).toEqual(Either.right(source))
  })

  it("refuses a bare import it cannot serve", () => {
    const result = resolveBareImports(`import x from "left-pad"`, urls)
    expect(Either.isLeft(result) && result.left.specifier).toBe("left-pad")
  })
})
