import { Either, Schema } from "effect"

/**
 * A browser resolves a bare specifier (`import … from "preact"`) only through
 * an import map, and an import map is an inline script, which the page's
 * `script-src 'self'` refuses. The page's own modules import their
 * dependencies by relative URL; the dependencies' minified builds import one
 * another by name (preact/hooks imports "preact"), so the server does the
 * import map's work for those: each bare specifier becomes the URL it is
 * served at. Static `import`/`export … from` and side-effect imports.
 */
const IMPORT_SPECIFIER = /(?<![\w$.-])(from\s*|import\s*)(["'])([\w@][\w@/.-]*)\2/g

/** A served module imports a package the server does not serve: a build mistake, found at start. */
export class UnresolvedImport extends Schema.TaggedError<UnresolvedImport>()("UnresolvedImport", {
  specifier: Schema.String
}) {}

export const resolveBareImports = (
  source: string,
  urls: ReadonlyMap<string, string>
): Either.Either<string, UnresolvedImport> => {
  let unresolved: string | undefined
  // The pattern matches bare names only: a relative or absolute URL starts with "." or "/".
  const rewritten = source.replace(IMPORT_SPECIFIER, (whole, keyword: string, quote: string, specifier: string) => {
    const url = urls.get(specifier)
    if (url === undefined) {
      unresolved ??= specifier
      return whole
    }
    return `${keyword}${quote}${url}${quote}`
  })
  return unresolved === undefined ? Either.right(rewritten) : Either.left(new UnresolvedImport({ specifier: unresolved }))
}
