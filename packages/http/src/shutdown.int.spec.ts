import { connect, type Socket } from "node:net"
import pg from "pg"
import { afterAll, describe, expect, it } from "vitest"
import { killGatewayProcesses, startGatewayProcess } from "./gateway-process.spec-helper.js"

// SIGTERM while requests are in flight, on a real gateway process: each of 50
// clients has sent its request's head and had it taken up by the server
// (Node answers `Expect: 100-continue` only once it hands the request to the
// app), and sends the body only after the signal, once the server has stopped
// accepting connections.

const databaseUrl = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"

const sql = async (text: string): Promise<void> => {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

const schema = `t_shutdown_${Math.random().toString(16).slice(2, 10)}`

afterAll(async () => {
  await killGatewayProcesses()
  await sql(`drop schema if exists "${schema}" cascade`)
})

interface InFlight {
  readonly socket: Socket
  /** Everything the server wrote on the connection so far. */
  readonly received: () => string
  /** Resolves once the server has written `text`. */
  readonly seen: (text: string) => Promise<void>
  /** Resolves when the server closed the connection. */
  readonly closed: Promise<void>
}

const open = (port: number): Promise<InFlight> =>
  new Promise((resolve, reject) => {
    let received = ""
    const waiters: Array<() => void> = []
    const socket = connect(port, "127.0.0.1", () => resolve({
      socket,
      received: () => received,
      seen: (text) => new Promise<void>((done) => {
        const check = () => received.includes(text) ? (done(), true) : false
        if (!check()) waiters.push(() => void check())
      }),
      closed
    }))
    const closed = new Promise<void>((done) => socket.once("close", () => done()))
    socket.once("error", reject)
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1")
      for (const waiter of waiters.splice(0)) waiter()
    })
  })

/** Whether a new connection to the port is refused (the server no longer listens). */
const refused = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const probe = connect(port, "127.0.0.1")
    probe.once("connect", () => {
      probe.destroy()
      resolve(false)
    })
    probe.once("error", () => resolve(true))
  })

/** The final answer on a connection: its status and body, after any `100 Continue`. */
const finalAnswer = (raw: string): { readonly status: number; readonly headers: string; readonly body: string } => {
  const afterContinue = raw.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, "")
  const end = afterContinue.indexOf("\r\n\r\n")
  const head = afterContinue.slice(0, end)
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? "0"), headers: head.toLowerCase(), body: afterContinue.slice(end + 4) }
}

describe("graceful shutdown of a gateway process", () => {
  it("SIGTERM with 50 requests in flight: every one is answered, the server closes each connection (an open event stream's too), and the process exits 0 within SHUTDOWN_TIMEOUT_MS", async () => {
    await sql(`create schema "${schema}"`)
    const url = new URL(databaseUrl)
    url.searchParams.set("options", `-c search_path=${schema}`)
    const gateway = await startGatewayProcess({ DATABASE_URL: url.toString(), LOG_LEVEL: "info", SHUTDOWN_TIMEOUT_MS: "15000" })
    const key = gateway.firstApiKey()
    const port = Number(new URL(gateway.baseUrl).port)

    const clients = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const client = await open(port)
      const body = JSON.stringify({ name: `in flight ${i}` })
      client.socket.write(
        `POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`
      )
      await client.seen("100 Continue")
      return { client, body }
    }))

    // And a client of the event stream, whose answer never ends by itself.
    const streaming = await open(port)
    streaming.socket.write(`GET /api/v1/events:stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\n\r\n`)
    await streaming.seen(": stream open")

    gateway.child.kill("SIGTERM")
    for (let attempt = 0; !(await refused(port)); attempt++) {
      if (attempt > 500) throw new Error(`the server still accepts connections after SIGTERM:\n${gateway.output()}`)
      await new Promise((wait) => setTimeout(wait, 20))
    }
    // The clients neither end nor reuse their connections: closing them is the server's part.
    for (const { client, body } of clients) client.socket.write(body)
    await Promise.all([...clients.map(({ client }) => client.closed), streaming.closed])

    const answers = clients.map(({ client }) => finalAnswer(client.received()))
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 50 }, () => 201))
    for (const answer of answers) {
      expect(answer.headers).toContain("connection: close")
      expect(JSON.parse(answer.body)).toMatchObject({ status: "unpaired" })
    }
    // The shutdown guard exits 1 once SHUTDOWN_TIMEOUT_MS has passed: 0 means within it.
    expect(await gateway.exit, gateway.output()).toBe(0)
  }, 120_000)
})
