import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { FileSystem } from "@effect/platform"
import { Effect, Schema } from "effect"

/**
 * The browser ES modules of the page's dependencies, each served as
 * `/ui/app/vendor/<file>` (where the page imports it: app/vendor/*.d.ts give
 * TypeScript its types), from this package's own installed copies (no CDN).
 */
export const VENDOR_MODULES = [
  { specifier: "preact", packageName: "preact", subpath: ".", file: "preact.js" },
  { specifier: "preact/hooks", packageName: "preact", subpath: "./hooks", file: "preact-hooks.js" },
  { specifier: "htm", packageName: "htm", subpath: ".", file: "htm.js" }
] as const

export type VendorModule = (typeof VENDOR_MODULES)[number]

/** A dependency's browser module could not be found where its package.json says. */
export class VendorModuleMissing extends Schema.TaggedError<VendorModuleMissing>()("VendorModuleMissing", {
  message: Schema.String
}) {}

// What a browser loading the module natively would pick, first match wins.
const CONDITIONS = ["browser", "import", "default"] as const

type ExportTarget = string | null | { readonly [condition: string]: ExportTarget }

// package.json's grammar for one `exports` entry: a path, null, or conditions mapping to entries.
const ExportTarget: Schema.Schema<ExportTarget> = Schema.Union(
  Schema.String,
  Schema.Null,
  Schema.Record({ key: Schema.String, value: Schema.suspend(() => ExportTarget) })
)

const pickTarget = (target: ExportTarget | undefined): string | undefined => {
  if (target === undefined || target === null) return undefined
  if (typeof target === "string") return target
  for (const condition of CONDITIONS) {
    const picked = pickTarget(target[condition])
    if (picked !== undefined) return picked
  }
  return undefined
}

const PackageJson = Schema.Struct({
  name: Schema.String,
  exports: Schema.Record({ key: Schema.String, value: ExportTarget })
})

const require = createRequire(import.meta.url)

/**
 * The package's root directory: `require.resolve` finds its CommonJS or
 * default entry (some packages do not export `./package.json`), and the
 * nearest package.json named like it above that file is the root.
 */
const packageRoot = (fs: FileSystem.FileSystem, packageName: string) =>
  Effect.gen(function* () {
    let dir = dirname(yield* Effect.try(() => require.resolve(packageName)))
    while (true) {
      const manifest = join(dir, "package.json")
      if (yield* fs.exists(manifest)) {
        const json: unknown = JSON.parse(yield* fs.readFileString(manifest))
        if (Schema.is(Schema.Struct({ name: Schema.Literal(packageName) }))(json)) return { dir, json }
      }
      const parent = dirname(dir)
      if (parent === dir) return yield* Effect.fail(new Error(`no package.json named ${packageName}`))
      dir = parent
    }
  })

/** The absolute path of a vendor module's browser build, read from its package's `exports`. */
export const vendorModulePath = (module: VendorModule) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const { dir, json } = yield* packageRoot(fs, module.packageName)
    const manifest = yield* Schema.decodeUnknown(PackageJson)(json)
    const target = pickTarget(manifest.exports[module.subpath])
    if (target === undefined) return yield* Effect.fail(new Error(`${module.subpath} exports no browser module`))
    return join(dir, target)
  }).pipe(
    Effect.mapError((error) => new VendorModuleMissing({ message: `${module.specifier}: ${String(error)}` }))
  )
