// Requests only a raw socket sends: Node's own refusals must come back in the
// envelope, and no client's way of leaving may hurt the process or its log.
import { seriousLines } from "./client-errors-in-log.js"
import { type RawOptions, rawExchange } from "./raw-socket.js"
import { type DrillContext, type StepResult } from "./step.js"
import { count, emptyTally } from "./tally.js"

interface RawCase {
  readonly name: string
  readonly bytes: string | Buffer
  readonly options?: RawOptions
  /** `answered`: a status line below 500, errors in the envelope. `gone`: the client leaves; only the server's health counts. */
  readonly expect: "answered" | "gone"
}

const cases = (token: string, sessionId: string): ReadonlyArray<RawCase> => {
  const auth = `Authorization: Bearer ${token}\r\n`
  const partial = `POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":`
  return [
    { name: "HTTP/1.1 without Host", bytes: "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", expect: "answered" },
    { name: "HTTP/1.0 without Host", bytes: "GET /healthz HTTP/1.0\r\n\r\n", expect: "answered" },
    { name: "CONNECT", bytes: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", expect: "answered" },
    { name: "Expect: foo", bytes: "POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nExpect: foo\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}", expect: "answered" },
    { name: "body shorter than Content-Length, half-close", bytes: partial, options: { halfClose: true }, expect: "answered" },
    { name: "body shorter than Content-Length, reset", bytes: partial, options: { resetAfterMs: 20 }, expect: "gone" },
    { name: "headers cut short, half-close", bytes: `GET /api/v1/sessions HTTP/1.1\r\nHost: x\r\n${auth}X-Half`, options: { halfClose: true }, expect: "answered" },
    { name: "malformed request line", bytes: "GET /healthz HTTP/9.9 what\r\n\r\n", expect: "answered" },
    { name: "header over Node's limit", bytes: `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(100_000)}\r\n\r\n`, expect: "answered" },
    { name: "NUL in a header value", bytes: "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Nul: a\u0000b\r\n\r\n", expect: "answered" },
    { name: "bad chunk size", bytes: `POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`, expect: "answered" },
    { name: "Content-Length and chunked", bytes: `POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`, expect: "answered" },
    { name: "two Content-Lengths", bytes: `POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`, expect: "answered" },
    { name: "GET with a chunked body", bytes: "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n", expect: "answered" },
    { name: "TRACE with a chunked body", bytes: "TRACE /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n", expect: "answered" },
    { name: "pipelined, the second malformed", bytes: "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", expect: "answered" },
    { name: "HTTP/2 preface", bytes: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", expect: "answered" },
    { name: "TLS ClientHello", bytes: Buffer.from("16030100a5010000a10303", "hex"), expect: "answered" },
    { name: "upgrade: websocket, then reset", bytes: `GET /api/v1/sessions HTTP/1.1\r\nHost: x\r\n${auth}Connection: upgrade\r\nUpgrade: websocket\r\n\r\n`, options: { resetAfterMs: 1 }, expect: "gone" },
    { name: "upgrade: h2c", bytes: `GET /api/v1/sessions/${sessionId} HTTP/1.1\r\nHost: x\r\n${auth}Connection: upgrade\r\nUpgrade: h2c\r\n\r\n`, options: { waitMs: 2_000 }, expect: "answered" },
    { name: "CONNECT, then reset", bytes: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", options: { resetAfterMs: 0 }, expect: "gone" },
    { name: "request, then reset at once", bytes: `POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`, options: { resetAfterMs: 0 }, expect: "gone" }
  ]
}

export const rawSocketCases = async (context: DrillContext, sessionId: string): Promise<StepResult> => {
  const started = performance.now()
  const { server } = context
  const logFrom = server.logSince(0).end
  const tally = emptyTally()
  const all = cases(context.token, sessionId)
  for (const rawCase of all) {
    const answer = await rawExchange(context.port, rawCase.bytes, { waitMs: 3_000, ...rawCase.options })
    if (rawCase.expect === "answered") {
      count(tally, answer, rawCase.name)
    }
  }
  // Let the server finish what the leaving clients started before reading its log.
  await new Promise((resolve) => setTimeout(resolve, 300))
  const health = await fetch(`${server.baseUrl}/healthz`).then((r) => r.status, () => 0)
  const serious = seriousLines(server.logSince(logFrom).lines)
  const failures = [
    ...(server.alive() && health === 200 ? [] : ["the gateway is not up afterwards"]),
    ...(tally.serverErrors + tally.unavailable > 0 ? [`${tally.serverErrors + tally.unavailable} 5xx`] : []),
    ...(tally.outsideEnvelope > 0 ? [`${tally.outsideEnvelope} answer(s) outside the envelope`] : []),
    ...(tally.unanswered > 0 ? [`${tally.unanswered} case(s) closed without an answer`] : []),
    ...(serious.length > 0 ? [`${serious.length} ERROR line(s) in the log`, ...serious.slice(0, 3).map((line) => line.slice(0, 300))] : []),
    ...tally.examples
  ]
  return {
    step: `${all.length} raw-socket cases (no Host, CONNECT, truncated, resets…)`,
    ok: failures.length === 0,
    durationMs: performance.now() - started,
    requests: all.length,
    acknowledged: tally.acknowledged,
    lost: 0,
    serverErrors: tally.serverErrors + tally.unavailable,
    measure: `answered in envelope ${tally.requests - tally.unanswered - tally.outsideEnvelope}/${tally.requests}; ERROR lines ${serious.length}`,
    failures,
    details: { statuses: tally.statuses, cases: all.map((c) => c.name) }
  }
}
