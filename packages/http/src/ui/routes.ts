import { HttpApiBuilder, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Either, Layer } from "effect"
import { NotFound, Unavailable } from "../errors.js"
import { loadUiAssets, type UiAsset, type UiAssetTable, type UiAssetsUnavailable } from "./assets.js"
import { UI_CACHE_CONTROL, UI_SECURITY_HEADERS } from "./security-headers.js"

const notFound = () => new NotFound({ message: "no such page or file in the dashboard", details: {} })

/** `If-None-Match` lists validators, `*` or weak ones (`W/"…"`); any match means the cached copy is current. */
const matches = (ifNoneMatch: string | undefined, etag: string): boolean =>
  ifNoneMatch !== undefined &&
  ifNoneMatch.split(",").some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, "")
    return tag === "*" || tag === etag
  })

const respond = (request: HttpServerRequest.HttpServerRequest, asset: UiAsset): HttpServerResponse.HttpServerResponse => {
  const headers = { ...UI_SECURITY_HEADERS, "cache-control": UI_CACHE_CONTROL, etag: asset.etag }
  return matches(request.headers["if-none-match"], asset.etag)
    ? HttpServerResponse.empty({ status: 304, headers })
    : HttpServerResponse.uint8Array(asset.body, { contentType: asset.contentType, headers })
}

const serveFrom = (
  assets: Either.Either<UiAssetTable, UiAssetsUnavailable>
): Effect.Effect<HttpServerResponse.HttpServerResponse, NotFound | Unavailable, HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    Either.match(assets, {
      onLeft: (): Effect.Effect<HttpServerResponse.HttpServerResponse, NotFound | Unavailable> =>
        Effect.fail(new Unavailable({ message: "the dashboard is not built on this server", details: {} })),
      onRight: (table): Effect.Effect<HttpServerResponse.HttpServerResponse, NotFound | Unavailable> => {
        // The raw path, undecoded: `%2e%2e` or `..` name no asset, so they are 404s like any unknown file.
        const asset = table.get(request.url.split("?")[0] ?? request.url)
        return asset === undefined ? Effect.fail(notFound()) : Effect.succeed(respond(request, asset))
      }
    }))

/**
 * `GET /ui` and everything under it: the dashboard, served from the package.
 * Errors leave in the envelope like the API's (the envelope middleware wraps
 * these routes too). The assets are read once, on the first request to /ui,
 * not while the server starts: this layer is built after the port listens
 * and before the request handler is attached, and a connection accepted in
 * that window is never answered. When the page is not built, `/ui` answers
 * 503 saying so (and the log says why).
 */
export const uiRoutes = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function* () {
    const assets = yield* Effect.cached(
      loadUiAssets.pipe(
        Effect.tapError((missing) =>
          Effect.logWarning("the dashboard is not served: run `npm run build`").pipe(
            Effect.annotateLogs({ reason: missing.reason })
          )),
        Effect.either
      )
    )
    const serve = Effect.flatMap(assets, serveFrom)
    yield* router.get("/ui", serve)
    yield* router.get("/ui/*", serve)
  })
)

/** `UI_ENABLED=false` → no `/ui` routes at all: 404 in the envelope, like any unknown route. */
export const uiRoutesWhen = (enabled: boolean) => (enabled ? uiRoutes : Layer.empty)
