import { readdir, readFile } from "node:fs/promises"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const APP = fileURLToPath(new URL("./app/", import.meta.url))

describe("the page's sources", () => {
  it("import only relative URLs (a bare one would not load: no import map under the CSP)", async () => {
    const files = (await readdir(APP, { recursive: true })).filter((name) => name.endsWith(".ts") && !name.endsWith(".d.ts"))
    expect(files.length).toBeGreaterThan(20)
    for (const file of files) {
      const source = await readFile(`${APP}${file}`, "utf8")
      const specifiers = [...source.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gms)].map((match) => match[1])
      expect(specifiers.filter((specifier) => !specifier?.startsWith("./")), file).toEqual([])
    }
  })
})
