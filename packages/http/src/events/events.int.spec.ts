import { Effect } from "effect"
import { OrgId, SessionId } from "@wa-gateway/domain"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { call, expectEnvelope, startTestServer, type TestServer } from "../server.spec-helper.js"

let server: TestServer
/** read + manage in org-a */
let admin: string
/** read only in org-a */
let reader: string
/** read + manage in org-b */
let other: string

beforeAll(async () => {
  server = await startTestServer()
  admin = await server.apiKey("org-a", ["read", "manage"])
  reader = await server.apiKey("org-a", ["read"])
  other = await server.apiKey("org-b", ["read", "manage"])
})
afterAll(() => server.close())

interface Frame {
  readonly id: string | undefined
  readonly event: string
  readonly data: { readonly type: string; readonly data: Record<string, unknown> }
}

/** An open event stream: its frames as they arrive (comments skipped). */
const open = async (token: string, query = "", headers: Record<string, string> = {}) => {
  const controller = new AbortController()
  const response = await fetch(`${server.baseUrl}/api/v1/events:stream${query}`, {
    headers: { authorization: `Bearer ${token}`, ...headers },
    signal: controller.signal
  })
  expect(response.status).toBe(200)
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/)
  const frames: Array<Frame> = []
  const comments: Array<string> = []
  let buffer = ""
  const reading = (async () => {
    const decoder = new TextDecoder()
    const reader = response.body?.getReader()
    if (reader === undefined) return
    try {
      while (true) {
        const { done, value } = await reader.read()
        if (done) return
        buffer += decoder.decode(value, { stream: true })
        let end = buffer.indexOf("\n\n")
        while (end >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          end = buffer.indexOf("\n\n")
          if (block.startsWith(":")) {
            comments.push(block)
            continue
          }
          const fields = new Map(block.split("\n").map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)]))
          frames.push({ id: fields.get("id"), event: fields.get("event") ?? "message", data: JSON.parse(fields.get("data") ?? "null") })
        }
      }
    } catch {
      // aborted
    }
  })()
  const waitFor = async (check: (frames: ReadonlyArray<Frame>) => boolean, timeoutMs = 5_000) => {
    const deadline = Date.now() + timeoutMs
    while (!check(frames)) {
      if (Date.now() > deadline) throw new Error(`stream did not get there: ${JSON.stringify(frames.map((f) => [f.id, f.event]))}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return frames
  }
  return { frames, comments, waitFor, close: async () => {
    controller.abort()
    await reading
  } }
}

const createSession = async (token: string) => {
  const reply = await call(server, "POST", "/api/v1/sessions", { token, body: {} })
  expect(reply.status).toBe(201)
  return (reply.body as { sessionId: string }).sessionId
}

const startQr = async (sessionId: string) => expect((await call(server, "GET", `/api/v1/sessions/${sessionId}/qr`, { token: admin })).status).toBe(200)

describe("GET /events:stream", () => {
  it("resumes after Last-Event-ID with exactly the session events after it, then live ones, none repeated", async () => {
    const first = await open(admin)
    const sessions = [await createSession(admin), await createSession(admin), await createSession(admin)]
    const seen = await first.waitFor((f) => f.length === 3)
    expect(seen.map((f) => [f.event, f.data.data["sessionId"]])).toEqual(sessions.map((s) => ["session.created", s]))
    const ids = seen.map((f) => Number(f.id))
    expect([...ids].sort((a, b) => a - b)).toEqual(ids)
    await first.close()

    // Missed while away: a pairing start of the first session and a new session.
    await startQr(sessions[0] ?? "")
    const later = await createSession(admin)
    const resumed = await open(admin, "", { "last-event-id": String(ids[0]) })
    await resumed.waitFor((f) => f.length === 4)
    const live = await createSession(admin)
    const all = await resumed.waitFor((f) => f.length === 5)
    expect(all.map((f) => [f.event, f.data.data["sessionId"]])).toEqual([
      ["session.created", sessions[1]],
      ["session.created", sessions[2]],
      ["session.pairing_started", sessions[0]],
      ["session.created", later],
      ["session.created", live]
    ])
    expect(new Set(all.map((f) => f.id)).size).toBe(5)
    expect(all.every((f) => Number(f.id) > (ids[0] ?? 0))).toBe(true)
    await resumed.close()

    const byQuery = await open(admin, `?after=${ids[1]}`)
    const again = await byQuery.waitFor((f) => f.length === 4)
    expect(again.map((f) => f.data.data["sessionId"])).toEqual([sessions[2], sessions[0], later, live])
    await byQuery.close()
  })

  it("sends connection changes live without an id line, and QR frames only when asked for and only to manage", async () => {
    const session = await createSession(admin)
    const withQr = await open(admin, `?types=session.qr,session.paired,session.connected,session.disconnected&sessionId=${session}`)
    const readerQr = await open(reader, `?types=session.qr,session.paired&sessionId=${session}`)
    await startQr(session)
    await withQr.waitFor((f) => f.some((x) => x.event === "session.qr"))
    await Effect.runPromise(server.phone.scan(OrgId.make("org-a"), SessionId.make(session), { phoneNumber: "628123456789" }))
    await Effect.runPromise(server.phone.dropConnection(OrgId.make("org-a"), SessionId.make(session), { reconnectAfterMs: 20 }))
    const frames = await withQr.waitFor((f) => f.filter((x) => x.event === "session.connected").length === 2)
    expect(frames.map((f) => f.event)).toEqual(["session.qr", "session.paired", "session.connected", "session.disconnected", "session.connected"])
    expect(frames.filter((f) => f.id !== undefined).map((f) => f.event)).toEqual(["session.paired"])
    expect(frames[3]?.data.data).toMatchObject({ cause: "connection_lost", willReconnect: true, connected: false })
    expect(frames[0]?.data.data["qr"]).toEqual(expect.any(String))

    const readerFrames = await readerQr.waitFor((f) => f.length === 1)
    expect(readerFrames.map((f) => f.event)).toEqual(["session.paired"])
    await withQr.close()
    await readerQr.close()
  })

  it("holds the filters and carries only the caller's org", async () => {
    const [a, b] = [await createSession(admin), await createSession(admin)]
    const onlyA = await open(admin, `?sessionId=${a}&types=session.pairing_started`)
    const theirs = await open(other)
    await startQr(b)
    await startQr(a)
    await createSession(admin)
    const frames = await onlyA.waitFor((f) => f.length === 1)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(frames.map((f) => [f.event, f.data.data["sessionId"]])).toEqual([["session.pairing_started", a]])
    const mine = await createSession(other)
    const foreign = await theirs.waitFor((f) => f.length === 1)
    expect(foreign.map((f) => [f.data.data["orgId"], f.data.data["sessionId"]])).toEqual([["org-b", mine]])
    await onlyA.close()
    await theirs.close()
  })

  it.each([
    ["?after=-1", {}, "after"],
    ["?after=abc", {}, "after"],
    ["", { "last-event-id": "1.5" }, "Last-Event-ID"],
    ["?types=session.exploded", {}, "types"],
    ["?sessionId=nope", {}, "sessionId"]
  ])("refuses %s %j with 400 naming the field", async (query, headers, field) => {
    const reply = await call(server, "GET", `/api/v1/events:stream${query}`, { token: admin, headers })
    expect(expectEnvelope(reply, 400, "validation_error").details).toMatchObject({ field })
  })

  it("needs a token (401) and ends the server's work for a client that goes away", async () => {
    expectEnvelope(await call(server, "GET", "/api/v1/events:stream"), 401, "unauthorized")
    const before = server.subscribers()
    const stream = await open(reader)
    expect(server.subscribers()).toBe(before + 1)
    await stream.close()
    const deadline = Date.now() + 5_000
    while (server.subscribers() > before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(server.subscribers()).toBe(before)
  })
})
