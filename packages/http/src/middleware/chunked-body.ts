import type { IncomingMessage } from "node:http"
import { HttpServerRequest } from "@effect/platform"
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
 * A body sent without Content-Length (chunked) can only be judged by reading
 * it. The platform's reader destroys the socket when it passes its limit, so
 * the client would get a reset instead of a 413. Read it here instead: up to
 * `limitBytes` it is kept and handed to the routes as a buffered request;
 * beyond, the rest is drained and discarded and `None` says "too large".
 * A bodiless method keeps its own request: its body is drained and ignored.
 */
export const bufferChunkedBody = (
  request: HttpServerRequest.HttpServerRequest,
  limitBytes: number
): Effect.Effect<Option.Option<HttpServerRequest.HttpServerRequest>> =>
  Effect.map(readUpTo(NodeHttpServerRequest.toIncomingMessage(request), limitBytes), (body) =>
    Option.map(body, (bytes) => {
      if (ignoresBody(request.method)) return request
      const headers = new Headers()
      for (const [name, value] of Object.entries(request.headers)) {
        if (name !== "transfer-encoding") headers.set(name, value)
      }
      headers.set("content-length", String(bytes.length))
      return HttpServerRequest.fromWeb(
        new Request(new URL(request.url, "http://localhost"), { method: request.method, headers, body: bytes })
      )
    }))

const readUpTo = (source: IncomingMessage, limitBytes: number): Effect.Effect<Option.Option<Buffer>> =>
  Effect.async<Option.Option<Buffer>>((resume) => {
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
    source.once("error", () => {
      if (!tooLarge) resume(Effect.succeed(Option.some(Buffer.concat(chunks))))
    })
    return Effect.sync(() => source.off("data", onData))
  })
