import { connect } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ErrorResponse } from "./errors.js"
import { Health } from "./health/api.js"
import { call, expectEnvelope, type LogEntry, rawExchange, startTestServer, type TestServer, wire } from "./server.spec-helper.js"

// DESIGN §7: every answer is in the envelope, Node's own included, and a
// client's mistake leaves no ERROR in the log.

const logs: Array<LogEntry> = []
let server: TestServer
let key: string
beforeAll(async () => {
  server = await startTestServer({ logs })
  key = await server.apiKey("org-raw", ["read", "manage"])
})
afterAll(() => server.close())

/** What the log says about requests since `from`: errors, and request lines with a 5xx. */
const troubleLoggedSince = (from: number) =>
  logs.slice(from).filter((entry) =>
    entry.level === "ERROR" || entry.level === "FATAL" ||
    (entry.message === "request" && Number(entry.annotations["status"]) >= 500))

const settle = () => new Promise((resolve) => setTimeout(resolve, 100))

describe("answers Node would give outside the envelope", () => {
  it("answers an HTTP/1.1 request without Host 400 validation_error", async () => {
    const reply = await rawExchange(server, "GET /healthz HTTP/1.1\r\n\r\n", { waitMs: 300 })
    expect(expectEnvelope(reply, 400, "validation_error").message).toContain("Host")
  })

  it("still answers an HTTP/1.0 request without Host, which needs none", async () => {
    const reply = await rawExchange(server, "GET /healthz HTTP/1.0\r\n\r\n")
    expect(wire(Health, reply)).toEqual({ status: "ok" })
  })

  it("answers an Expect other than 100-continue 400 validation_error, and honours 100-continue", async () => {
    const refused = await rawExchange(server, "POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nExpect: foo\r\nContent-Length: 2\r\n\r\n{}")
    expect(expectEnvelope(refused, 400, "validation_error").message).toContain("Expect")
    const body = JSON.stringify({ name: "after continue" })
    const continued = await rawExchange(
      server,
      `POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\n` +
        `Expect: 100-continue\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`
    )
    expect(continued.status, continued.text).toBe(201)
  })

  it("answers CONNECT 404 not_found instead of closing the socket in silence", async () => {
    const reply = await rawExchange(server, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
    expect(expectEnvelope(reply, 404, "not_found").details).toEqual({ method: "CONNECT" })
  })

  it("answers a malformed request line 400 in the envelope", async () => {
    const reply = await rawExchange(server, "GET /healthz HTTP/9.9 what\r\n\r\n")
    expectEnvelope(reply, 400, "validation_error")
  })

  it("survives clients that reset an upgrade or a CONNECT connection at any moment", async () => {
    const uncaught: Array<unknown> = []
    const record = (error: unknown) => uncaught.push(error)
    process.on("uncaughtExceptionMonitor", record)
    try {
      const { port, hostname } = new URL(server.baseUrl)
      const requests = [
        `GET /api/v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n`,
        `POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: h2c\r\nContent-Length: 50\r\n\r\n{`,
        "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"
      ]
      for (const request of requests) {
        for (const delayMs of [0, 1, 5, 20]) {
          await new Promise<void>((resolve) => {
            const socket = connect(Number(port), hostname)
            socket.on("error", () => undefined)
            socket.write(request, () =>
              setTimeout(() => {
                socket.resetAndDestroy()
                resolve()
              }, delayMs))
          })
        }
      }
      await settle()
      expect(uncaught).toEqual([])
    } finally {
      process.off("uncaughtExceptionMonitor", record)
    }
  })

  it("keeps serving after each of them", async () => {
    expect((await call(server, "GET", "/healthz")).status).toBe(200)
  })
})

describe("a body shorter than its Content-Length, then the client half-closes", () => {
  const partial = (path: string) =>
    `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\n` +
    `Content-Length: 100\r\n\r\n{"name":`

  /** The request lines logged since `from` for `path`. */
  const requestLinesSince = (from: number, path: string) =>
    logs.slice(from).filter((entry) => entry.message === "request" && entry.annotations["path"] === path)

  it("is answered 400 in the envelope; the log says the client left (499), no error, no 500", async () => {
    const from = logs.length
    const reply = await rawExchange(server, partial("/api/v1/sessions"), { halfClose: true })
    expect(reply.status).toBe(400)
    expect(() => wire(ErrorResponse, reply)).not.toThrow()
    await settle()
    expect(troubleLoggedSince(from)).toEqual([])
    // One line: the request ended (no fiber left waiting on a closed response).
    expect(requestLinesSince(from, "/api/v1/sessions").map((entry) => entry.annotations["status"])).toEqual([499])
  })

  it("ends every such request, on any route, without an error", async () => {
    const from = logs.length
    const paths = ["/api/v1/sessions", "/healthz", "/no/such/route", "/simulator/v1/sessions/sess_01HZX8K3M9Q2W4E6R8T0Y2V4X6:scan"]
    for (const path of paths) await rawExchange(server, partial(path), { halfClose: true, waitMs: 500 })
    await settle()
    expect(troubleLoggedSince(from)).toEqual([])
    expect(paths.map((path) => requestLinesSince(from, path).length)).toEqual(paths.map(() => 1))
  })
})
