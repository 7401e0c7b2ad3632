import type { IncomingMessage } from "node:http"
import { HttpServerError, HttpServerRequest } from "@effect/platform"
import { NodeHttpServerRequest } from "@effect/platform-node"
import { Effect, Option } from "effect"

/**
 * Methods whose routes never read a body: the platform decodes none for GET,
 * HEAD and OPTIONS, and no route answers TRACE. A fetch `Request` also refuses
 * a body on GET and HEAD, and refuses TRACE outright.
 */
const BODILESS_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "TRACE"])

export const ignoresBody = (method: string): boolean => BODILESS_METHODS.has(method)

/**
 * Reads the whole body, up to `limitBytes`, before any route does: so it can
 * be judged (size, JSON depth) first, and so a chunked body over the limit is
 * answered 413 (the platform's own reader destroys the socket instead). Beyond
 * the limit the rest is drained and discarded and `None` says "too large"; a
 * body cut off by the client fails with a `RequestError`.
 */
export const readBody = (
  request: HttpServerRequest.HttpServerRequest,
  limitBytes: number
): Effect.Effect<Option.Option<Buffer>, HttpServerError.RequestError> =>
  readUpTo(NodeHttpServerRequest.toIncomingMessage(request), limitBytes, (cause) =>
    new HttpServerError.RequestError({ request, reason: "Decode", cause }))

/** The request again, its body now these bytes (read once more by whichever route takes it). */
export const withBody = (
  request: HttpServerRequest.HttpServerRequest,
  bytes: Buffer,
  dropped: ReadonlySet<string> = TRANSFER_ENCODING
): HttpServerRequest.HttpServerRequest => {
  const headers = new Headers()
  for (const [name, value] of Object.entries(request.headers)) {
    if (!dropped.has(name)) headers.set(name, value)
  }
  headers.set("content-length", String(bytes.length))
  return HttpServerRequest.fromWeb(
    new Request(new URL(request.url, "http://localhost"), { method: request.method, headers, body: bytes })
  )
}

const TRANSFER_ENCODING: ReadonlySet<string> = new Set(["transfer-encoding"])
const TRANSFER_ENCODING_AND_TYPE: ReadonlySet<string> = new Set(["transfer-encoding", "content-type"])

/**
 * An empty body under a Content-Type that is not JSON, as an empty body
 * without one (read as JSON): the platform would otherwise parse "nothing" as
 * multipart, which on an empty stream never ends.
 */
export const withEmptyBody = (request: HttpServerRequest.HttpServerRequest): HttpServerRequest.HttpServerRequest =>
  withBody(request, Buffer.alloc(0), TRANSFER_ENCODING_AND_TYPE)

const readUpTo = <E>(
  source: IncomingMessage,
  limitBytes: number,
  unreadable: (cause: unknown) => E
): Effect.Effect<Option.Option<Buffer>, E> =>
  Effect.async<Option.Option<Buffer>, E>((resume) => {
    const chunks: Array<Buffer> = []
    let size = 0
    let tooLarge = false
    const onData = (chunk: Buffer) => {
      if (tooLarge) return
      size += chunk.length
      if (size > limitBytes) {
        tooLarge = true
        chunks.length = 0
        resume(Effect.succeed(Option.none()))
      } else {
        chunks.push(chunk)
      }
    }
    source.on("data", onData)
    source.once("end", () => {
      if (!tooLarge) resume(Effect.succeed(Option.some(Buffer.concat(chunks))))
    })
    source.once("error", (cause) => {
      if (!tooLarge) resume(Effect.fail(unreadable(cause)))
    })
    return Effect.sync(() => source.off("data", onData))
  })
