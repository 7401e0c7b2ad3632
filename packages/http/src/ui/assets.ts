import { createHash } from "node:crypto"
import { extname, join, sep } from "node:path"
import { fileURLToPath } from "node:url"
import { FileSystem } from "@effect/platform"
import { Effect, Either, Schema } from "effect"
import { resolveBareImports } from "./bare-imports.js"
import { VENDOR_MODULES, vendorModulePath } from "./vendor-modules.js"

// Everything the dashboard serves, read once into a table keyed by URL path. A request is answered from the table or not at all: no request
// path ever reaches the file system, so there is nothing to traverse.

export interface UiAsset {
  readonly body: Uint8Array
  readonly contentType: string
  /** A strong validator of the body, for `If-None-Match`. */
  readonly etag: string
}

export type UiAssetTable = ReadonlyMap<string, UiAsset>

/** Why the dashboard cannot be served (its page is not built, a dependency is missing). */
export class UiAssetsUnavailable extends Schema.TaggedError<UiAssetsUnavailable>()("UiAssetsUnavailable", {
  reason: Schema.String
}) {}

// `../../` is the package directory both from src/ui/ (tests run the sources)
// and from dist/ui/ (the built server); the page's modules are compiled by
// src/ui/app/tsconfig.json into dist/ui/app whichever runs.
const packageDir = fileURLToPath(new URL("../../", import.meta.url))
const STATIC_DIR = join(packageDir, "src", "ui", "static")
export const APP_DIR = join(packageDir, "dist", "ui", "app")

const JAVASCRIPT = "text/javascript; charset=utf-8"

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": JAVASCRIPT,
  ".mjs": JAVASCRIPT,
  ".svg": "image/svg+xml"
}

const contentTypeOf = (file: string) => {
  const type = CONTENT_TYPES[extname(file)]
  return type === undefined ? Effect.fail(new Error(`no content type for ${file}`)) : Effect.succeed(type)
}

const asset = (body: Uint8Array, contentType: string): UiAsset => ({
  body,
  contentType,
  etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`
})

// The vendor modules sit side by side, so each finds the others by relative URL.
const VENDOR_URLS: ReadonlyMap<string, string> = new Map(
  VENDOR_MODULES.map((module) => [module.specifier, `./${module.file}`])
)

/**
 * A dependency's module as the browser gets it: its bare imports resolved, and
 * no pointer to a source map the server does not serve.
 */
const vendorAsset = (fs: FileSystem.FileSystem, path: string) =>
  Effect.flatMap(fs.readFileString(path), (source) =>
    Either.match(resolveBareImports(source, VENDOR_URLS), {
      onLeft: (unresolved) => Effect.fail(new Error(`${path} imports ${unresolved.specifier}, which is not served`)),
      onRight: (code) =>
        Effect.succeed(asset(new TextEncoder().encode(code.replace(/^\/\/# sourceMappingURL=.*$/gm, "")), JAVASCRIPT))
    }))

const toUrlPath = (path: string) => path.split(sep).join("/")

const load = Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const table = new Map<string, UiAsset>()

  for (const name of yield* fs.readDirectory(STATIC_DIR)) {
    const file = join(STATIC_DIR, name)
    const served = asset(yield* fs.readFile(file), yield* contentTypeOf(file))
    if (name === "index.html") {
      table.set("/ui", served)
      table.set("/ui/", served)
    } else {
      table.set(`/ui/${name}`, served)
    }
  }

  const appFiles = (yield* fs.readDirectory(APP_DIR, { recursive: true })).filter((name) => name.endsWith(".js"))
  if (!appFiles.includes("main.js")) return yield* Effect.fail(new Error(`${APP_DIR} has no main.js`))
  // tsc's output as it is: the page's modules import only relative URLs.
  for (const name of appFiles) {
    table.set(`/ui/app/${toUrlPath(name)}`, asset(yield* fs.readFile(join(APP_DIR, name)), JAVASCRIPT))
  }

  for (const module of VENDOR_MODULES) {
    table.set(`/ui/app/vendor/${module.file}`, yield* vendorAsset(fs, yield* vendorModulePath(module)))
  }
  return table satisfies UiAssetTable
})

/** Reads every asset of the dashboard; fails when its page is not built (`npm run build`). */
export const loadUiAssets: Effect.Effect<UiAssetTable, UiAssetsUnavailable, FileSystem.FileSystem> = load.pipe(
  Effect.mapError((error) =>
    new UiAssetsUnavailable({ reason: error instanceof Error ? error.message : String(error) }))
)
