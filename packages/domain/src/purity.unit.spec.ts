import { readdirSync, readFileSync } from "node:fs"
import { builtinModules } from "node:module"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

// DESIGN §1: the domain is pure. This test (itself allowed to touch the file
// system) reads every source file of the package and checks what it imports.

const SOURCE_ROOT = fileURLToPath(new URL(".", import.meta.url))

/** The module specifiers of static imports, re-exports, dynamic import() and require(). */
const moduleSpecifiers = (source: string): ReadonlyArray<string> => {
  const patterns = [
    /\bimport\s+(?:type\s+)?[^'"`;]*?\bfrom\s*["'`]([^"'`]+)["'`]/g,
    /\bexport\s+(?:type\s+)?[^'"`;]*?\bfrom\s*["'`]([^"'`]+)["'`]/g,
    /\bimport\s*["'`]([^"'`]+)["'`]/g,
    /\bimport\s*\(\s*["'`]([^"'`]+)["'`]/g,
    /\brequire\s*\(\s*["'`]([^"'`]+)["'`]/g
  ]
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1] ?? ""))
}

const FORBIDDEN_PACKAGES = ["pg", "kysely", "@electric-sql/pglite", "baileys", "@whiskeysockets/baileys"]
const builtins = new Set(builtinModules)

/** Why a specifier has no place in the domain, or null when it is fine. */
const forbiddenReason = (specifier: string): string | null => {
  if (specifier.startsWith("node:")) return "a Node builtin"
  if (builtins.has(specifier) || builtins.has(specifier.split("/")[0] ?? "")) return "a Node builtin"
  const pkg = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]
  if (pkg !== undefined && FORBIDDEN_PACKAGES.some((name) => pkg === name || pkg.startsWith(`${name}-`))) return "an infrastructure package"
  return null
}

const sourceFiles = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    // Test files may use the file system (this one does); the rule is about what ships.
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".spec.ts") ? [path] : []
  })

describe("the domain package is pure", () => {
  it("imports no Node builtin, database driver, query builder or WhatsApp library", () => {
    const files = sourceFiles(SOURCE_ROOT)
    expect(files.length).toBeGreaterThan(10)
    const violations = files.flatMap((file) =>
      moduleSpecifiers(readFileSync(file, "utf8")).flatMap((specifier) => {
        const reason = forbiddenReason(specifier)
        return reason === null ? [] : [`${relative(SOURCE_ROOT, file)} imports "${specifier}" (${reason})`]
      })
    )
    expect(violations).toEqual([])
  })

  it("finds every kind of import the check relies on", () => {
    const source = [
      `import { readFile } from "node:fs/promises"`,
      `import type { Pool } from 'pg'`,
      `import * as path from "path"`,
      `export { Kysely } from "kysely"`,
      `export * from "@electric-sql/pglite"`,
      `import "@whiskeysockets/baileys"`,
      `const crypto = await import("crypto")`,
      `const os = require("os")`,
      `import {\n  sql,\n  type Kysely\n} from "kysely-pglite-dialect"`,
      `import { Effect } from "effect"`,
      `import { decide } from "./session/decide.js"`
    ].join("\n")
    const specifiers = moduleSpecifiers(source)
    expect(specifiers).toEqual(expect.arrayContaining([
      "node:fs/promises", "pg", "path", "kysely", "@electric-sql/pglite", "@whiskeysockets/baileys", "crypto", "os",
      "kysely-pglite-dialect", "effect", "./session/decide.js"
    ]))
    expect(specifiers.filter((s) => forbiddenReason(s) !== null)).toHaveLength(9)
    expect(forbiddenReason("effect")).toBeNull()
    expect(forbiddenReason("./ids.js")).toBeNull()
    expect(forbiddenReason("pgx-is-not-pg")).toBeNull()
    expect(forbiddenReason("fs/promises")).toBe("a Node builtin")
    expect(forbiddenReason("pg-pool")).toBe("an infrastructure package")
    expect(forbiddenReason("@electric-sql/pglite/vector")).toBe("an infrastructure package")
  })
})
