import { request as httpRequest } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ErrorResponse } from "../errors.js"
import { Session } from "../sessions/api.js"
import { call, expectEnvelope, rawExchange, type Reply, startTestServer, type TestServer, wire } from "../server.spec-helper.js"
import { BODY_LIMIT_BYTES } from "./envelope.js"
import { JSON_DEPTH_LIMIT } from "./json-depth.js"

let server: TestServer
let key: string
let sessionId: string

beforeAll(async () => {
  server = await startTestServer()
  key = await server.apiKey("org-a", ["read", "manage"])
  sessionId = wire(Session, await call(server, "POST", "/api/v1/sessions", { token: key })).sessionId
})
afterAll(() => server.close())

/** Every error answer, whatever the input: the envelope, never a 5xx. */
const expectClientError = (reply: Reply) => {
  expect(reply.status, reply.text).toBeGreaterThanOrEqual(400)
  expect(reply.status, reply.text).toBeLessThan(500)
  expectEnvelope(reply, reply.status, wire(ErrorResponse, reply).error.code)
}

const expectClientErrorOrSuccess = (reply: Reply) => {
  expect(reply.status, reply.text).toBeLessThan(500)
  if (reply.status >= 400) expectClientError(reply)
}

/** A raw request, for paths fetch would normalize and bodies it would not send. */
const raw = (method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Reply> =>
  new Promise((resolve, reject) => {
    const url = new URL(server.baseUrl)
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        let parsed: unknown
        try {
          parsed = JSON.parse(text)
        } catch {
          parsed = undefined
        }
        const responseHeaders = new Headers()
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === "string") responseHeaders.set(name, value)
        resolve({ status: res.statusCode ?? 0, headers: responseHeaders, body: parsed, text })
      })
    })
    req.on("error", reject)
    if (body !== undefined) req.write(body)
    req.end()
  })

describe("framework errors in the envelope", () => {
  it("answers an unknown route 404 not_found", async () => {
    expectEnvelope(await call(server, "GET", "/nope"), 404, "not_found")
    expectEnvelope(await call(server, "GET", "/api/v1/nope", { token: key }), 404, "not_found")
    expectEnvelope(await call(server, "GET", "/api/v2/sessions", { token: key }), 404, "not_found")
  })

  it.each(["PUT", "PATCH", "DELETE"])("answers a wrong method (%s /api/v1/sessions) 404 not_found", async (method) => {
    expectEnvelope(await call(server, method, "/api/v1/sessions", { token: key }), 404, "not_found")
  })

  it("answers GET on a custom method 404 (the colon makes it no session id)", async () => {
    expectEnvelope(await call(server, "GET", `/api/v1/sessions/${sessionId}:logout`, { token: key }), 404, "not_found")
  })

  it("answers malformed JSON 400 validation_error on every route with a body", async () => {
    const create = expectEnvelope(await call(server, "POST", "/api/v1/sessions", { token: key, body: "{\"name\":", headers: { "content-type": "application/json" } }), 400, "validation_error")
    expect(create.message).toBe("the request body is not valid JSON")
    const code = expectEnvelope(
      await call(server, "POST", `/api/v1/sessions/${sessionId}:requestPairingCode`, { token: key, body: "{'phone': 1}", headers: { "content-type": "application/json" } }),
      400,
      "validation_error"
    )
    expect(code.message).toBe("the request body is not valid JSON")
  })

  it.each(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"])(
    "answers Content-Type %s 400 validation_error",
    async (contentType) => {
      const error = expectEnvelope(
        await call(server, "POST", `/api/v1/sessions/${sessionId}:requestPairingCode`, {
          token: key,
          body: "phone=628123456789",
          headers: { "content-type": contentType }
        }),
        400,
        "validation_error"
      )
      expect(error.details).toEqual({ contentType })
    }
  )


  it.each(["multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "text/plain"])(
    "reads an absent body under Content-Type %s as an absent JSON body, on every body-taking route, instead of waiting on it",
    async (contentType) => {
      // No Content-Length and no Transfer-Encoding: a body of length 0 (RFC 9112 §6.3).
      const bodiless = (path: string) =>
        rawExchange(server, `POST ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ${key}\r\nContent-Type: ${contentType}\r\n\r\n`, { waitMs: 5_000 })
      for (const path of ["/api/v1/sessions", `/simulator/v1/sessions/${sessionId}:scan`, `/api/v1/sessions/${sessionId}:requestPairingCode`]) {
        const reply = await bodiless(path)
        expect(reply.status, path).toBeGreaterThan(0)
        expectClientErrorOrSuccess(reply)
      }
      const created = wire(Session, await bodiless("/api/v1/sessions"))
      const plain = wire(Session, await call(server, "POST", "/api/v1/sessions", { token: key }))
      expect(created.name).toBe(plain.name)
    },
    10_000
  )
  it("accepts application/json with a charset", async () => {
    const reply = await call(server, "POST", "/api/v1/sessions", {
      token: key,
      body: JSON.stringify({ name: "utf8" }),
      headers: { "content-type": "application/json; charset=utf-8" }
    })
    expect(reply.status).toBe(201)
  })

  it("answers a 1 MiB body 413 payload_too_large", async () => {
    const body = JSON.stringify({ name: "x".repeat(1024 * 1024) })
    const error = expectEnvelope(await call(server, "POST", "/api/v1/sessions", { token: key, body }), 413, "payload_too_large")
    expect(error.details).toEqual({ limitBytes: BODY_LIMIT_BYTES })
  })

  it("answers a request line over Node's header limit 400 in the envelope", async () => {
    const reply = await raw("GET", `/api/v1/sessions/${"x".repeat(100_000)}`, { authorization: `Bearer ${key}` })
    expectEnvelope(reply, 400, "validation_error")
  })

  it("accepts a small chunked body", async () => {
    const reply = await call(server, "POST", "/api/v1/sessions", {
      token: key,
      body: new Blob([JSON.stringify({ name: "chunked" })]).stream(),
      headers: { "content-type": "application/json" }
    })
    expect(reply.status, reply.text).toBe(201)
    expect(wire(Session, reply).name).toBe("chunked")
  })

  it.each(["GET", "HEAD"])("answers %s with a chunked body like one without: the body drained and ignored", async (method) => {
    const headers = { "content-type": "application/json", "transfer-encoding": "chunked" }
    const reply = await raw(method, "/healthz", headers, "{}")
    expect(reply.status, reply.text).toBe(200)
    if (method === "GET") expect(reply.body).toEqual({ status: "ok" })
    const authed = await raw(method, `/api/v1/sessions/${sessionId}`, { ...headers, authorization: `Bearer ${key}` }, "{\"name\":1}")
    expect(authed.status, authed.text).toBe(200)
  })

  it("answers TRACE with a chunked body 404 not_found (no such route), not 500", async () => {
    const reply = await raw("TRACE", "/healthz", { "content-type": "application/json", "transfer-encoding": "chunked" }, "{}")
    expectEnvelope(reply, 404, "not_found")
  })

  it("answers a chunked body over the limit (no Content-Length) 413", async () => {
    const chunk = Buffer.alloc(16 * 1024, "a")
    const reply = await new Promise<Reply>((resolve, reject) => {
      const url = new URL(server.baseUrl)
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          method: "POST",
          path: `/api/v1/sessions/${sessionId}:requestPairingCode`,
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "transfer-encoding": "chunked" }
        },
        (res) => {
          const chunks: Array<Buffer> = []
          res.on("data", (c: Buffer) => chunks.push(c))
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8")
            resolve({ status: res.statusCode ?? 0, headers: new Headers(), body: JSON.parse(text), text })
          })
        }
      )
      req.on("error", reject)
      for (let i = 0; i < 8; i++) req.write(chunk)
      req.end()
    })
    expectEnvelope(reply, 413, "payload_too_large")
  })

  it("accepts a body just under the limit (and judges it by its content)", async () => {
    const body = JSON.stringify({ name: "x".repeat(BODY_LIMIT_BYTES - 100) })
    const headers = { "content-type": "application/json" }
    const error = expectEnvelope(await call(server, "POST", "/api/v1/sessions", { token: key, body, headers }), 400, "validation_error")
    expect(error.details).toMatchObject({ issues: [{ field: "name" }] })
  })

  it("answers JSON nested 7,000 deep 400 validation_error, not 500", async () => {
    const body = `${"{\"name\":".repeat(7000)}"x"${"}".repeat(7000)}`
    expect(body.length).toBeLessThan(BODY_LIMIT_BYTES)
    for (const chunked of [false, true]) {
      const reply = await call(server, "POST", "/api/v1/sessions", {
        token: key,
        body: chunked ? new Blob([body]).stream() : body,
        headers: { "content-type": "application/json" }
      })
      const error = expectEnvelope(reply, 400, "validation_error")
      expect(error.details).toEqual({ depthLimit: JSON_DEPTH_LIMIT })
    }
  })

  it("judges depth before credentials: an unauthenticated deep body is 400 too, and one level within the limit is decoded", async () => {
    const deep = `${"[".repeat(JSON_DEPTH_LIMIT + 1)}${"]".repeat(JSON_DEPTH_LIMIT + 1)}`
    expectEnvelope(await call(server, "POST", "/api/v1/sessions", { body: deep, headers: { "content-type": "application/json" } }), 400, "validation_error")
    const within = `{"name":${"[".repeat(JSON_DEPTH_LIMIT - 1)}${"]".repeat(JSON_DEPTH_LIMIT - 1)}}`
    const error = expectEnvelope(await call(server, "POST", "/api/v1/sessions", { token: key, body: within, headers: { "content-type": "application/json" } }), 400, "validation_error")
    expect(error.details).toMatchObject({ field: "name" })
  })

  it("answers a JSON body the platform reads as bytes (application/*+json) instead of waiting on a consumed stream", async () => {
    for (const path of ["/api/v1/sessions", `/simulator/v1/sessions/${sessionId}:scan`, `/api/v1/sessions/${sessionId}:requestPairingCode`]) {
      const reply = await call(server, "POST", path, {
        token: key,
        body: "[[1]]",
        headers: { "content-type": "application/vnd.api+json" }
      })
      expectClientErrorOrSuccess(reply)
    }
  }, 10_000)

  it("bounds what an error echoes: a wide 27 KB body gets a small answer", async () => {
    const wide = { name: Array.from({ length: 3000 }, (_, i) => `item-${i}`) }
    const reply = await call(server, "POST", "/api/v1/sessions", { token: key, body: wide })
    expect(JSON.stringify(wide).length).toBeGreaterThan(27_000)
    expectEnvelope(reply, 400, "validation_error")
    expect(reply.text.length).toBeLessThan(1_000)
    const manyFields = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`field_${i}_${"x".repeat(300)}`, i]))
    const many = await call(server, "POST", `/api/v1/sessions/${sessionId}:requestPairingCode`, { token: key, body: { phone: "628123456789", ...manyFields } })
    expectEnvelope(many, 400, "validation_error")
    expect(many.text.length).toBeLessThan(10_000)
  })

  it("answers unknown fields 400 naming them", async () => {
    const error = expectEnvelope(
      await call(server, "POST", `/api/v1/sessions/${sessionId}:requestPairingCode`, { token: key, body: { phone: "628123456789", admin: true } }),
      400,
      "validation_error"
    )
    expect(error.details).toMatchObject({ issues: [{ field: "admin" }] })
  })
})

describe("path injection in {session}", () => {
  const attacks = [
    "..%2F..%2Fetc%2Fpasswd",
    "..%2f",
    "%2e%2e",
    "sess_%00",
    "%00",
    "sess_01HZX8K3M9Q2W4E6R8T0Y2V4X6%00",
    "%E0%A4%A",
    "%",
    "sess_" + "A".repeat(10_000),
    "x".repeat(60_000),
    "'%20OR%201=1--",
    "%F0%9F%92%A9",
    "sess_01hzx8k3m9q2w4e6r8t0y2v4x6",
    "%3Cscript%3E"
  ]

  it.each(attacks.map((attack) => [attack.length > 40 ? `${attack.slice(0, 20)}… (${attack.length} chars)` : attack, attack]))(
    "answers %s in the envelope, never 5xx, on every session route",
    async (_, attack) => {
      const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" }
      const replies = [
        await raw("GET", `/api/v1/sessions/${attack}`, headers),
        await raw("GET", `/api/v1/sessions/${attack}/qr`, headers),
        await raw("GET", `/api/v1/sessions/${attack}/me`, headers),
        await raw("GET", `/api/v1/sessions/${attack}/events`, headers),
        await raw("DELETE", `/api/v1/sessions/${attack}`, headers),
        await raw("POST", `/api/v1/sessions/${attack}:logout`, headers),
        await raw("POST", `/api/v1/sessions/${attack}:requestPairingCode`, headers, JSON.stringify({ phone: "628123456789" }))
      ]
      for (const reply of replies) expectClientError(reply)
    }
  )

  it("answers a malformed session id 404 not_found, not 400", async () => {
    expectEnvelope(await call(server, "GET", "/api/v1/sessions/..%2F..%2Fetc%2Fpasswd", { token: key }), 404, "not_found")
    expectEnvelope(await call(server, "GET", "/api/v1/sessions/sess_short", { token: key }), 404, "not_found")
    expectEnvelope(await call(server, "GET", `/api/v1/sessions/sess_${"A".repeat(10_000)}`, { token: key }), 404, "not_found")
    expectEnvelope(await call(server, "GET", "/api/v1/sessions/sess_01HZX8K3M9Q2W4E6R8T0Y2V4X6%00", { token: key }), 404, "not_found")
  })
})
