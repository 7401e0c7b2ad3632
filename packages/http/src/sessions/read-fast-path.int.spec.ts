import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { call, type Reply, startTestServer, type TestServer } from "../server.spec-helper.js"

// The session reads are served in front of the router for plain paths and
// queries (read-fast-path.ts; on this server, with tracing off, taken from
// Node's request event by node-read-path.ts); a request the fast path leaves
// alone (a query on the single read, an encoded character, an unknown
// parameter) goes through the HttpApi router, which reads it the same way.
// Both must answer alike.

let server: TestServer
let admin: string
let manager: string
let other: string
const base = "/api/v1/sessions"

beforeAll(async () => {
  server = await startTestServer()
  admin = await server.apiKey("org-a", ["read", "manage"])
  manager = await server.apiKey("org-a", ["manage"])
  other = await server.apiKey("org-b", ["read", "manage"])
  for (let i = 0; i < 3; i++) {
    expect((await call(server, "POST", base, { token: admin, body: { name: `s${i}` } })).status).toBe(201)
  }
})
afterAll(() => server.close())

/** Everything a client sees of an answer but the request id. */
const seen = (reply: Reply) => ({ status: reply.status, contentType: reply.headers.get("content-type"), body: reply.body })

/** The same request through the fast path and through the router. */
const bothWays = async (fast: string, routed: string, token: string | undefined) => {
  const options = token === undefined ? {} : { token }
  const [a, b] = [await call(server, "GET", fast, options), await call(server, "GET", routed, options)]
  expect(a.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
  return [seen(a), seen(b)] as const
}

describe("the session reads' fast path", () => {
  it("answers GET /sessions/{id} as the router does, for every outcome", async () => {
    const listed = await call(server, "GET", `${base}?pageSize=1`, { token: admin })
    const [first] = (listed.body as { sessions: Array<{ sessionId: string }> }).sessions
    const id = first!.sessionId
    const cases: Array<[string, string | undefined, number]> = [
      [id, admin, 200],
      [id, other, 404],
      [id, manager, 403],
      [id, undefined, 401],
      [id, "wag_not-a-real-key", 401],
      ["sess_malformed", admin, 404],
      ["sess_01HZX8K3M9Q2W4E6R8T0Y2V4X6", admin, 404]
    ]
    for (const [session, token, status] of cases) {
      const [fast, routed] = await bothWays(`${base}/${session}`, `${base}/${session}?`, token)
      expect(fast.status).toBe(status)
      expect(fast).toStrictEqual(routed)
    }
  })

  it("answers GET /sessions as the router does: pages, tokens, refusals and their order", async () => {
    const page = await call(server, "GET", `${base}?pageSize=2`, { token: admin })
    const token = (page.body as { nextPageToken: string }).nextPageToken
    expect(typeof token).toBe("string")
    const cases: Array<[string, string | undefined, number]> = [
      ["", admin, 200],
      ["pageSize=2", admin, 200],
      [`pageSize=2&pageToken=${token}`, admin, 200],
      [`pageToken=${token}`, other, 200],
      ["pageSize=0", admin, 400],
      ["pageSize=abc", admin, 400],
      ["pageSize=", admin, 400],
      ["pageToken=bm90LWEtdG9rZW4", admin, 400],
      ["pageSize=2", manager, 403],
      // The url params are decoded before the handler checks the capability.
      ["pageSize=0", manager, 400],
      ["pageSize=2", undefined, 401]
    ]
    for (const [query, caller, status] of cases) {
      const [fast, routed] = await bothWays(`${base}?${query}`, `${base}?${query}${query === "" ? "" : "&"}unknown=1`, caller)
      expect(fast.status).toBe(status)
      expect(fast).toStrictEqual(routed)
    }
  })

  it("leaves requests it does not read plainly to the router", async () => {
    const listed = await call(server, "GET", `${base}?pageSize=1`, { token: admin })
    const id = (listed.body as { sessions: Array<{ sessionId: string }> }).sessions[0]!.sessionId
    // `%5F` is `_`: the router decodes the segment, so this is the same session.
    expect((await call(server, "GET", `${base}/${id.replace("_", "%5F")}`, { token: admin })).status).toBe(200)
    expect((await call(server, "GET", `${base}?pageSize=%32`, { token: admin })).status).toBe(200)
    expect((await call(server, "GET", `${base}?pageSize=1&pageSize=2`, { token: admin })).status).toBe(400)
    expect((await call(server, "HEAD", `${base}/${id}`, { token: admin })).status).toBe(200)
  })
})
