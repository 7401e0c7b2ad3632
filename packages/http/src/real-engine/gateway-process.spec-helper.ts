// The gateway as a child process on the real Baileys engine, pointed at a fake
// WhatsApp that runs in the test process (so its registry of devices outlives
// every gateway restart): `node packages/http/dist/main.js` (`npm run build`
// after a source change), a free port, the API key from its first-start file
// (`<DATA_DIR>/first-api-key`), and plain-fetch calls of the HTTP API.
import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import pg from "pg"
import type { FakeWhatsApp } from "@wa-gateway/testkit/fake-whatsapp"
import { freePort } from "../free-port.spec-helper.js"

const root = resolve(import.meta.dirname, "../../../..")
const mainJs = join(root, "packages/http/dist/main.js")

export const databaseUrl = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

/** Polls `check` until it answers something other than `undefined`; fails with `what` and the last answer seen after `timeoutMs`. */
export const until = async <A>(what: string, check: () => Promise<A | undefined> | A | undefined, timeoutMs = 30_000, intervalMs = 100): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const answer = await check()
    if (answer !== undefined) return answer
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await sleep(intervalMs)
  }
}

/** A PostgreSQL database of the test file's own (`wa_e2e_<topic>_<random>`), dropped by `drop`. */
export const ownDatabase = async (topic: string): Promise<{ readonly url: string; readonly drop: () => Promise<void> }> => {
  const name = `wa_e2e_${topic}_${randomBytes(4).toString("hex")}`
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: databaseUrl })
    await client.connect()
    try {
      await client.query(statement)
    } finally {
      await client.end()
    }
  }
  await admin(`create database ${name}`)
  const url = new URL(databaseUrl)
  url.pathname = `/${name}`
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) }
}

/** A temporary `DATA_DIR` for the embedded store, removed by `remove`. */
export const ownDataDir = (): { readonly path: string; readonly remove: () => void } => {
  const path = mkdtempSync(join(tmpdir(), "wa-e2e-"))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

/** The key a first start wrote to `<dataDir>/first-api-key`, if it did. */
export const firstApiKey = (dataDir: string): string | undefined => {
  try {
    return /^wag_[A-Za-z0-9_-]{43}$/m.exec(readFileSync(join(dataDir, "first-api-key"), "utf8"))?.[0]
  } catch {
    return undefined
  }
}

/** Runs a query on the file's database on a short-lived client. */
export const query = async <R extends pg.QueryResultRow>(url: string, text: string, values: Array<unknown> = []): Promise<Array<R>> => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<R>(text, values)).rows
  } finally {
    await client.end()
  }
}

/** Every row of every table of the database's public schema, as text. */
export const everyTableAsText = async (url: string): Promise<{ readonly tables: ReadonlyArray<string>; readonly text: string }> => {
  const tables = (await query<{ table_name: string }>(url, "select table_name from information_schema.tables where table_schema = 'public'"))
    .map((t) => t.table_name)
  const texts = await Promise.all(tables.map((table) =>
    query<{ text: string | null }>(url, `select string_agg(t::text, ' ') as text from "${table}" t`).then((rows) => rows[0]?.text ?? "")))
  return { tables, text: texts.join("\n") }
}

export interface Session {
  readonly sessionId: string
  readonly name: string
  readonly status: "unpaired" | "pairing" | "paired" | "logged_out"
  readonly connected: boolean
  readonly phoneNumber: string | null
  readonly waJid: string | null
  readonly waLid: string | null
  readonly pushName: string | null
  readonly version: number
}

export interface Answer<A> {
  readonly status: number
  readonly body: A
}

/** The HTTP API of one gateway, as an API key of org `default` sees it. */
export interface ApiClient {
  readonly call: <A = unknown>(method: string, path: string, body?: unknown) => Promise<Answer<A>>
  readonly create: (name: string) => Promise<Session>
  readonly get: (sessionId: string) => Promise<Session>
  readonly qr: (sessionId: string) => Promise<{ readonly qr: string; readonly expiresAt: string }>
  readonly requestPairingCode: (sessionId: string, phone: string) => Promise<{ readonly code: string; readonly expiresAt: string }>
  readonly events: (sessionId: string) => Promise<ReadonlyArray<{ readonly type: string; readonly data: Record<string, unknown> }>>
  /** Polls the session until `accept` holds (within `timeoutMs`). */
  readonly until: (sessionId: string, what: string, accept: (session: Session) => boolean, timeoutMs?: number) => Promise<Session>
}

const apiClient = (baseUrl: string, key: string): ApiClient => {
  const call = async <A>(method: string, path: string, body?: unknown): Promise<Answer<A>> => {
    const response = await fetch(`${baseUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(40_000)
    })
    const text = await response.text()
    return { status: response.status, body: (text === "" ? undefined : JSON.parse(text)) as A }
  }
  /** The body of a call that must answer `expected`; anything else fails with what it answered. */
  const expect = async <A>(expected: number, method: string, path: string, body?: unknown): Promise<A> => {
    const answer = await call<A>(method, path, body)
    if (answer.status !== expected) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`)
    return answer.body
  }
  const get = (sessionId: string) => expect<Session>(200, "GET", `/sessions/${sessionId}`)
  return {
    call,
    create: (name) => expect(201, "POST", "/sessions", { name }),
    get,
    qr: (sessionId) => expect(200, "GET", `/sessions/${sessionId}/qr`),
    requestPairingCode: (sessionId, phone) => expect(200, "POST", `/sessions/${sessionId}:requestPairingCode`, { phone }),
    events: async (sessionId) => (await expect<{ events: ReadonlyArray<{ type: string; data: Record<string, unknown> }> }>(200, "GET", `/sessions/${sessionId}/events`)).events,
    until: async (sessionId, what, accept, timeoutMs = 30_000) => {
      let last: Session | undefined
      try {
        return await until(what, async () => {
          last = await get(sessionId)
          return accept(last) ? last : undefined
        }, timeoutMs)
      } catch (error) {
        throw new Error(`${sessionId} ${what}; last seen ${JSON.stringify(last)}`, { cause: error })
      }
    }
  }
}

export interface LogLine {
  readonly message?: string
  readonly logLevel?: string
  readonly annotations?: Record<string, unknown>
  readonly [field: string]: unknown
}

export interface GatewayProcess {
  readonly pid: number
  readonly baseUrl: string
  readonly api: ApiClient
  /** Everything the process wrote so far. */
  readonly output: () => string
  /** Its JSON log lines. */
  readonly logLines: () => ReadonlyArray<LogLine>
  /** SIGTERM; resolves with the exit code (fails if it has not exited within 30 s). */
  readonly stop: () => Promise<number | null>
  /** SIGKILL; resolves once it has gone. */
  readonly kill9: () => Promise<void>
  readonly exited: () => boolean
}

export interface GatewayStore {
  readonly databaseUrl?: string
  readonly dataDir?: string
}

const running = new Set<ChildProcess>()
/** The DATA_DIRs made only for a first-start key (gateways on PostgreSQL), removed with the gateways. */
const keyDirs = new Set<{ readonly remove: () => void }>()
const keyDir = (): string => {
  const dir = ownDataDir()
  keyDirs.add(dir)
  return dir.path
}

/** For `afterEach`/`afterAll`: every gateway still running is killed, also after a failed test. */
export const killEveryGateway = async (): Promise<void> => {
  await Promise.all([...running].map((child) =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done()
      child.once("exit", () => done())
      child.kill("SIGKILL")
    })))
  running.clear()
  for (const dir of keyDirs) dir.remove()
  keyDirs.clear()
}

/**
 * Starts the gateway on the Baileys engine against `fake`, on `store`; waits
 * for `/healthz`. Without `apiKey` it is a first start: the key it writes
 * to its DATA_DIR is read from there (on PostgreSQL the process gets a
 * temporary DATA_DIR of its own for it).
 */
export const startGateway = async (options: {
  readonly fake: FakeWhatsApp
  readonly store: GatewayStore
  readonly apiKey?: string
  readonly env?: Record<string, string>
}): Promise<GatewayProcess & { readonly apiKey: string }> => {
  const port = await freePort()
  const baseUrl = `http://127.0.0.1:${port}`
  let output = ""
  const dataDir = options.store.dataDir ?? keyDir()
  const child = spawn(process.execPath, [mainJs], {
    cwd: root,
    env: {
      PATH: process.env["PATH"] ?? "",
      HOST: "127.0.0.1",
      PORT: String(port),
      WA_ENGINE: "baileys",
      WA_SERVER_URL: options.fake.url,
      WA_SERVER_CERT_ROOT: options.fake.certRoot,
      LOG_LEVEL: "info",
      ...(options.store.databaseUrl === undefined ? {} : { DATABASE_URL: options.store.databaseUrl }),
      DATA_DIR: dataDir,
      ...options.env
    },
    stdio: ["ignore", "pipe", "pipe"]
  })
  running.add(child)
  // E2E_LOG_DIR=<dir> keeps each gateway's output in <dir>/gateway-<port>.log, to read after a failure.
  const logDir = process.env["E2E_LOG_DIR"]
  const keep = (text: string) => {
    output += text
    if (logDir !== undefined) appendFileSync(join(logDir, `gateway-${port}.log`), text)
  }
  child.stdout?.on("data", (chunk: Buffer) => keep(chunk.toString("utf8")))
  child.stderr?.on("data", (chunk: Buffer) => keep(chunk.toString("utf8")))
  const exit = new Promise<number | null>((done) => child.once("exit", (code) => {
    running.delete(child)
    done(code)
  }))
  const exited = () => child.exitCode !== null || child.signalCode !== null

  await until("the gateway answers /healthz", async () => {
    if (exited()) throw new Error(`the gateway exited at start:\n${output}`)
    return (await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false)) ? true : undefined
  }, 60_000, 50)

  const apiKey = options.apiKey ?? firstApiKey(dataDir)
  if (apiKey === undefined) throw new Error(`no first-start API key in ${dataDir}:\n${output}`)

  const logLines = () =>
    output.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as LogLine)

  return {
    pid: child.pid ?? 0,
    baseUrl,
    apiKey,
    api: apiClient(baseUrl, apiKey),
    output: () => output,
    logLines,
    exited,
    stop: async () => {
      if (exited()) return child.exitCode
      child.kill("SIGTERM")
      const code = await Promise.race([exit, sleep(30_000).then(() => "hung" as const)])
      if (code === "hung") throw new Error(`the gateway did not exit within 30 s of SIGTERM:\n${output.slice(-4_000)}`)
      return code
    },
    kill9: async () => {
      if (exited()) return
      child.kill("SIGKILL")
      await exit
    }
  }
}

let phoneCounter = 0
/** A phone number of its own for each use within a test file (`prefix` keeps files apart in logs). */
export const newPhoneNumber = (prefix: string): string => `62${prefix}${String(++phoneCounter).padStart(6, "0")}`

/** The session's `/me`, or the error answer. */
export const me = (api: ApiClient, sessionId: string) => api.call<Record<string, unknown>>("GET", `/sessions/${sessionId}/me`)
