// Generated malformed requests (fast-check): methods, paths and their
// encodings, headers (chunked, Expect, odd content types), bodies (deep
// nesting, NUL, lone surrogates, huge numbers, broken JSON and UTF-8) and
// tokens (alg:none, truncated and HS-signed JWTs, garbage keys), as the bytes
// that go on the wire.
import { createHmac } from "node:crypto"
import fc from "fast-check"

export interface MalformedRequest {
  readonly method: string
  readonly path: string
  readonly bytes: Buffer
}

const b64url = (value: string): string => Buffer.from(value).toString("base64url")

const jwt = (header: object, payload: object, signature: string): string =>
  `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${signature}`

const claims = { org_id: "drill", role: "owner", sub: "fuzz", exp: 4_102_444_800 }

const tokenArb = (apiKey: string): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constant(`Bearer ${apiKey}`) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant(`Bearer ${jwt({ alg: "none", typ: "JWT" }, claims, "")}`) },
    {
      weight: 1,
      arbitrary: fc.string({ maxLength: 16 }).map((secret) => {
        const unsigned = `${b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${b64url(JSON.stringify(claims))}`
        return `Bearer ${unsigned}.${createHmac("sha256", secret).update(unsigned).digest("base64url")}`
      })
    },
    {
      weight: 1,
      arbitrary: fc.nat({ max: 120 }).map((cut) => `Bearer ${jwt({ alg: "RS256", kid: "k1" }, claims, "c2lnbmF0dXJl").slice(0, cut)}`)
    },
    { weight: 1, arbitrary: fc.constantFrom("Bearer", "Bearer ", "Basic YTpi", `bearer ${apiKey}`, `Bearer ${apiKey}x`, `Bearer  ${apiKey}`) },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 60 }).map((s) => `Bearer wag_${s.replace(/[^\x21-\x7e]/g, "a")}`) }
  )

const unicodeSegment = fc.string({ unit: "binary", maxLength: 40 }).map((s) => {
  try {
    return encodeURIComponent(s)
  } catch {
    return "%ED%A0%80" // a lone surrogate cannot be URI-encoded; its UTF-8 bytes can be sent anyway
  }
})

const segmentArb = (sessionId: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(sessionId) },
    { weight: 2, arbitrary: unicodeSegment },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "..%2F..%2Fetc%2Fpasswd", "%00", "%", "%E0%A4%A", "%2e%2e", "sess_%00", `sess_${"A".repeat(300)}`,
        "sess_01HZX8K3M9Q2W4E6R8T0Y2V4X6", "sess_01hzx8k3m9q2w4e6r8t0y2v4x6", "'%20OR%201=1--", "%F0%9F%92%A9"
      )
    },
    // Raw bytes, framing kept (no space, CR or LF): control and 8-bit characters the parser must refuse or route.
    { weight: 1, arbitrary: fc.string({ unit: "binary-ascii", maxLength: 20 }).map((s) => s.replace(/[\s]/g, "_")) }
  )

const dateText = fc.oneof(
  fc.constantFrom(
    "2020-13-45T99:00:00Z", `${"1".repeat(40)}-01-01T00:00:00.000Z`, "2020-02-30T00:00:00.000Z", "-271821-04-20T00:00:00.000Z",
    "+275760-09-13T00:00:00.000Z", "-004713-11-24T00:00:00.000Z", "2026-01-01", "NaN", ""
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString())
)

const pageTokenArb = (sessionId: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.tuple(dateText, fc.constantFrom(sessionId, "sess_x", "", "sess_01HZX8K3M9Q2W4E6R8T0Y2V4X6|extra")).map(([d, s]) => b64url(`${d}|${s}`)),
    fc.string({ unit: "binary", maxLength: 60 }).map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, "x")))
  )

const pathArb = (sessionId: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom("/healthz", "/readyz", "/openapi.json", "/docs", "/", "/api/v1", "/api/v1/sessions", "/api/v2/sessions", "*", "//api/v1/sessions"),
    fc.tuple(segmentArb(sessionId), fc.constantFrom("", "/qr", "/me", "/events", ":logout", ":requestPairingCode", "%3Alogout", "::logout", "/"))
      .map(([segment, suffix]) => `/api/v1/sessions/${segment}${suffix}`),
    fc.tuple(segmentArb(sessionId), fc.constantFrom(":scan", ":enterCode", ":unlink", ":dropConnection"))
      .map(([segment, action]) => `/simulator/v1/sessions/${segment}${action}`),
    fc.record({
      pageSize: fc.option(fc.oneof(fc.constantFrom("0", "1", "100", "101", "1e1", "-1", "0x10", "%201", "99999999999999999999"), fc.string({ maxLength: 8 }).map(encodeURIComponent))),
      pageToken: fc.option(pageTokenArb(sessionId))
    }).map(({ pageSize, pageToken }) => {
      const query = [pageSize === null ? "" : `pageSize=${pageSize}`, pageToken === null ? "" : `pageToken=${pageToken}`].filter((p) => p !== "")
      return `/api/v1/sessions?${query.join("&")}`
    })
  )

const nested = (depth: number, open: string, close: string, leaf: string) => open.repeat(depth) + leaf + close.repeat(depth)

const text = (value: string) => Buffer.from(value, "utf8")

const bodyArb: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(Buffer.alloc(0)) },
  // Fields of the real bodies with any text: JSON.stringify escapes NUL and lone surrogates as \u0000, \ud800.
  {
    weight: 4,
    arbitrary: fc.oneof(
      fc.record({ name: fc.string({ unit: "binary", maxLength: 110 }) }, { requiredKeys: [] }),
      fc.record({ phone: fc.oneof(fc.stringMatching(/^[0-9]{6,17}$/), fc.string({ unit: "binary", maxLength: 20 })) }),
      fc.record({ phoneNumber: fc.string({ unit: "binary", maxLength: 20 }), pushName: fc.string({ unit: "binary", maxLength: 110 }) }, { requiredKeys: [] }),
      fc.record({ code: fc.string({ unit: "binary", maxLength: 24 }), pushName: fc.string({ unit: "binary", maxLength: 20 }) }, { requiredKeys: [] }),
      fc.record({ reconnectAfterMs: fc.oneof(fc.integer(), fc.double(), fc.constant(3_600_001)) })
    ).map((value) => text(JSON.stringify(value)))
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => text(JSON.stringify(value))) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom(31, 32, 33, 100, 7_000, 20_000), fc.boolean()).map(([depth, objects]) =>
      text(objects ? nested(depth, "{\"name\":", "}", "\"x\"") : nested(depth, "[", "]", "1")))
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "{\"reconnectAfterMs\":1e400}", "{\"reconnectAfterMs\":123456789012345678901234567890}", "{\"name\":1e308}",
      "{\"name\":-0}", "{\"reconnectAfterMs\":-1e-400}", "{\"phone\":628123456789}", "{\"name\":\"a\\u0000b\"}",
      "{\"name\":\"\\ud800\"}", "{\"pushName\":\"\\udfff\\ud800\"}", "{\"name\":\"\\u0000\"}", "{\"__proto__\":{\"admin\":true}}",
      "{\"constructor\":{\"prototype\":{}}}", "{\"name\":\"x\",\"name\":\"y\"}"
    ).map(text)
  },
  { weight: 1, arbitrary: fc.constantFrom(100, 101, 60_000, 70_000).map((n) => text(JSON.stringify({ name: "x".repeat(n) }))) },
  { weight: 1, arbitrary: fc.constantFrom("{\"name\":", "{'name':1}", "{\"name\":\"a\",}", "nul", "\u0000", "[", "}", "\"unterminated").map(text) },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.concat([text("{\"name\":\""), Buffer.from(bytes), text("\"}")]))
  }
)

const contentTypeArb = fc.constantFrom(
  undefined, "application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x", "application/vnd.api+json", "", "application/json; charset=latin1", "APPLICATION/JSON"
)

type Framing = "length" | "chunked" | "none" | "length-and-chunked"

const chunked = (body: Buffer, pieces: number): Buffer => {
  const size = Math.max(1, Math.ceil(body.length / pieces))
  const parts: Array<Buffer> = []
  for (let at = 0; at < body.length; at += size) {
    const piece = body.subarray(at, at + size)
    parts.push(text(`${piece.length.toString(16)}\r\n`), piece, text("\r\n"))
  }
  parts.push(text("0\r\n\r\n"))
  return Buffer.concat(parts)
}

// Mostly printable, sometimes control or 8-bit bytes (which Node's parser refuses), never a line break.
const headerValue = fc.oneof(
  { weight: 9, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary-ascii", maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, " ")) }
)

export const malformedRequestArb = (options: { readonly apiKey: string; readonly sessionId: string; readonly port: number }): fc.Arbitrary<MalformedRequest> =>
  fc.record({
    method: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom("GET", "POST", "DELETE") },
      { weight: 2, arbitrary: fc.constantFrom("PUT", "PATCH", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "QUERY", "get") }
    ),
    path: pathArb(options.sessionId),
    authorization: tokenArb(options.apiKey),
    contentType: fc.oneof({ weight: 3, arbitrary: fc.constant("application/json") }, { weight: 1, arbitrary: contentTypeArb }),
    expect: fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom("100-continue", "foo", "") }),
    accept: fc.constantFrom(undefined, undefined, "image/png", "*/*", "text/html"),
    requestId: fc.option(headerValue),
    extra: fc.option(fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/), headerValue)),
    framing: fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom<Framing>("length", "length", "chunked", "none") },
      { weight: 1, arbitrary: fc.constant<Framing>("length-and-chunked") }
    ),
    pieces: fc.integer({ min: 1, max: 4 }),
    body: bodyArb
  }).map((r) => {
    const headers: Array<string> = [`Host: 127.0.0.1:${options.port}`, "Connection: close"]
    if (r.authorization !== undefined) headers.push(`Authorization: ${r.authorization}`)
    if (r.contentType !== undefined) headers.push(`Content-Type: ${r.contentType}`)
    if (r.expect !== undefined) headers.push(`Expect: ${r.expect}`)
    if (r.accept !== undefined) headers.push(`Accept: ${r.accept}`)
    if (r.requestId !== null) headers.push(`X-Request-Id: ${r.requestId}`)
    if (r.extra !== null) headers.push(`${r.extra[0]}: ${r.extra[1]}`)
    let payload: Buffer = Buffer.alloc(0)
    if (r.framing === "length") {
      headers.push(`Content-Length: ${r.body.length}`)
      payload = r.body
    } else if (r.framing === "chunked") {
      headers.push("Transfer-Encoding: chunked")
      payload = chunked(r.body, r.pieces)
    } else if (r.framing === "length-and-chunked") {
      headers.push(`Content-Length: ${r.body.length}`, "Transfer-Encoding: chunked")
      payload = chunked(r.body, r.pieces)
    }
    const head = Buffer.from(`${r.method} ${r.path} HTTP/1.1\r\n${headers.join("\r\n")}\r\n\r\n`, "latin1")
    return { method: r.method, path: r.path, bytes: Buffer.concat([head, payload]) }
  })
