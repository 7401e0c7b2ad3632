import { HttpApiError, type HttpApp, HttpServerRequest } from "@effect/platform"
import { Effect, ParseResult, Redacted, Schema } from "effect"
import { Authenticator } from "../auth/authenticator.js"
import type { Principal } from "../auth/principal.js"
import { principalOfBearer } from "../middleware/authentication.js"
import { ListSessionsParams, SessionsApi } from "./api.js"
import { makeSessionReads } from "./reads.js"
import { okJson } from "./session-wire.js"

/** A path segment the router would hand over exactly as it is (nothing to percent-decode). */
const PLAIN_SEGMENT = /^[A-Za-z0-9_]+$/
/** A query the router would parse to these very strings: `pageSize` and `pageToken` at most once each, nothing to decode. */
const PLAIN_QUERY_PAIR = /^(pageSize|pageToken)=([A-Za-z0-9_-]*)$/

export type ReadRoute =
  | { readonly _tag: "get"; readonly session: string }
  | { readonly _tag: "list"; readonly urlParams: Record<string, string> }

/** The path of a sessions endpoint, less `suffix`: taken from the contract, so a route moved there moves here. */
const pathOf = (name: string, suffix = ""): Effect.Effect<string> => {
  const path = SessionsApi.endpoints[name]?.path
  return path !== undefined && path.endsWith(suffix)
    ? Effect.succeed(path.slice(0, path.length - suffix.length))
    : Effect.dieMessage(`the sessions contract has no endpoint "${name}" ending in "${suffix}"`)
}

/** The list route's url params, or `undefined` for a query this path leaves to the router. */
const plainQuery = (query: string): Record<string, string> | undefined => {
  const params: Record<string, string> = {}
  if (query === "") return params
  for (const pair of query.split("&")) {
    const match = PLAIN_QUERY_PAIR.exec(pair)
    if (match === null || match[1]! in params) return undefined
    params[match[1]!] = match[2]!
  }
  return params
}

/**
 * The two read routes for requests whose path and query need no decoding:
 * which route a URL is (`undefined`: leave it to the router — another route,
 * an encoded character, a repeated or unknown parameter) and how to serve it
 * given the request's `Authorization` header. Same contract, same work in
 * the same order as the router: the `Authentication` middleware's own bearer
 * handling (`principalOfBearer`) of the header as `HttpApiSecurity.bearer` reads it, then the
 * endpoint's own url-param schema (a failure is the `HttpApiDecodeError` the
 * router would raise), then the handlers' own functions (reads.ts), errors
 * left to the envelope like every route's.
 */
export const sessionReadRoutes = Effect.gen(function* () {
  const reads = yield* makeSessionReads
  const authenticator = yield* Authenticator
  const principalOf = principalOfBearer(authenticator)
  const listPath = yield* pathOf("list")
  const sessionPrefix = yield* pathOf("get", ":session")
  const decodeListParams = Schema.decodeUnknown(ListSessionsParams)

  const routeOf = (url: string): ReadRoute | undefined => {
    const queryAt = url.indexOf("?")
    const path = queryAt === -1 ? url : url.slice(0, queryAt)
    if (path === listPath) {
      const urlParams = plainQuery(queryAt === -1 ? "" : url.slice(queryAt + 1))
      return urlParams === undefined ? undefined : { _tag: "list", urlParams }
    }
    if (queryAt !== -1 || !path.startsWith(sessionPrefix)) return undefined
    const session = path.slice(sessionPrefix.length)
    return PLAIN_SEGMENT.test(session) ? { _tag: "get", session } : undefined
  }

  /** The route served to a caller already authenticated. */
  const serveAs = (caller: Principal, route: ReadRoute) =>
    Effect.gen(function* () {
      if (route._tag === "get") return yield* reads.get(caller, route.session)
      const urlParams = yield* decodeListParams(route.urlParams).pipe(
        Effect.catchIf(ParseResult.isParseError, HttpApiError.HttpApiDecodeError.refailParseError)
      )
      return yield* reads.list(caller, urlParams)
    })

  const serve = (route: ReadRoute, authorization: string | undefined) =>
    Effect.flatMap(principalOf(bearerToken(authorization)), (caller) => serveAs(caller, route))

  /**
   * The caller the authenticator remembers for this header (an API key
   * verified moments ago), found without running an effect: `serveAs` that
   * caller answers what `serve` would; `undefined`: let `serve` authenticate.
   */
  const recall = (authorization: string | undefined): Principal | undefined => authenticator.recall(bearerToken(authorization))

  return { routeOf, serve, serveAs, recall }
})

/** HttpApiSecurity.bearer's own reading of the header: whatever follows its first 7 characters. */
const bearerToken = (authorization: string | undefined): Redacted.Redacted<string> =>
  Redacted.make((authorization ?? "").slice(BEARER_PREFIX_LENGTH))

const BEARER_PREFIX_LENGTH = "Bearer ".length

/**
 * The read routes in front of the HttpApi router: what they skip is the
 * router's per-request machinery (route lookup, parsed search params, the
 * middleware chain built per endpoint, the group's context merge,
 * schema-driven response encoding), ~40 % of a GET's CPU in a profile of the
 * server (bench/README.md). With tracing off the Node-level path
 * (node-read-path.ts) takes these requests before the platform does.
 */
export const sessionReadsFastPath = Effect.gen(function* () {
  const { routeOf, serve } = yield* sessionReadRoutes

  type Served = ReturnType<typeof serve>
  return <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E | Effect.Effect.Error<Served>, R | Effect.Effect.Context<Served>> =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request): HttpApp.Default<E | Effect.Effect.Error<Served>, R | Effect.Effect.Context<Served>> => {
      const route = request.method === "GET" ? routeOf(request.url) : undefined
      return route === undefined ? app : Effect.map(serve(route, request.headers["authorization"]), okJson)
    })
})
