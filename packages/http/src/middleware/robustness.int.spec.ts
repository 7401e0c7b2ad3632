import fc from "fast-check"
import { afterAll, beforeAll, expect, it } from "vitest"
import { ErrorResponse } from "../errors.js"
import { Session } from "../sessions/api.js"
import { call, type Reply, startTestServer, type TestServer, wire } from "../server.spec-helper.js"

// DESIGN §7: no request, however malformed, gets a 5xx or a body outside the envelope.

let server: TestServer
let key: string
let sessionId: string
beforeAll(async () => {
  server = await startTestServer()
  key = await server.apiKey("org-fuzz", ["read", "manage"])
  sessionId = wire(Session, await call(server, "POST", "/api/v1/sessions", { token: key })).sessionId
})
afterAll(() => server.close())

const expectAnsweredInEnvelope = (reply: Reply) => {
  expect(reply.status, reply.text).toBeLessThan(500)
  if (reply.status >= 400) expect(() => wire(ErrorResponse, reply), reply.text).not.toThrow()
}

it("answers any {session} segment below 500, errors in the envelope", async () => {
  await fc.assert(
    fc.asyncProperty(fc.string({ unit: "binary", maxLength: 200 }), fc.constantFrom("", "/qr", "/me", "/events", ":logout"), async (segment, suffix) => {
      const method = suffix === ":logout" ? "POST" : "GET"
      const reply = await call(server, method, `/api/v1/sessions/${encodeURIComponent(segment)}${suffix}`, { token: key })
      expectAnsweredInEnvelope(reply)
    }),
    { numRuns: 150 }
  )
})

it("answers any JSON body on a body-taking route below 500, errors in the envelope", async () => {
  await fc.assert(
    fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom("/api/v1/sessions", `/api/v1/sessions/SESSION:requestPairingCode`), async (body, path) => {
      const reply = await call(server, "POST", path.replace("SESSION", sessionId), {
        token: key,
        body: JSON.stringify(body),
        headers: { "content-type": "application/json" }
      })
      expectAnsweredInEnvelope(reply)
    }),
    { numRuns: 150 }
  )
})

it("answers any query string on the list below 500, errors in the envelope", async () => {
  await fc.assert(
    fc.asyncProperty(fc.dictionary(fc.constantFrom("pageSize", "pageToken", "x"), fc.string({ maxLength: 40 })), async (query) => {
      const reply = await call(server, "GET", `/api/v1/sessions?${new URLSearchParams(query).toString()}`, { token: key })
      expectAnsweredInEnvelope(reply)
    }),
    { numRuns: 150 }
  )
})
