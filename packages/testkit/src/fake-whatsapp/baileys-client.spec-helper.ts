/**
 * A real, unpatched Baileys client for the fake's tests: in-memory auth state (copied through BufferJSON
 * when a test "restarts the process"), a silent logger, and a record of its connection updates.
 */
import {
  BufferJSON,
  initAuthCreds,
  makeWASocket,
  type AuthenticationCreds,
  type ConnectionState,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
  type UserFacingSocketConfig
} from "@whiskeysockets/baileys"

type Logger = NonNullable<UserFacingSocketConfig["logger"]>

export const silentLogger: Logger = {
  level: "silent",
  child: () => silentLogger,
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {}
}

/** Baileys' `SignalKeyStore` over a Map: `set` with null deletes, like the gateway's SQL store. */
export class MemoryKeyStore implements SignalKeyStore {
  private readonly entries = new Map<string, unknown>()

  get<T extends keyof SignalDataTypeMap>(type: T, ids: Array<string>): { [id: string]: SignalDataTypeMap[T] } {
    const found: { [id: string]: SignalDataTypeMap[T] } = {}
    for (const id of ids) {
      const value = this.entries.get(`${type}/${id}`)
      // only `set` writes entries, and it stores each value under its own type
      if (value !== undefined) found[id] = value as SignalDataTypeMap[T]
    }
    return found
  }

  set(data: SignalDataSet): void {
    for (const [type, values] of Object.entries(data)) {
      for (const [id, value] of Object.entries(values ?? {})) {
        if (value === null) this.entries.delete(`${type}/${id}`)
        else this.entries.set(`${type}/${id}`, value)
      }
    }
  }
}

export interface StoredAuth {
  creds: AuthenticationCreds
  readonly keys: MemoryKeyStore
}

export const freshAuth = (): StoredAuth => ({ creds: initAuthCreds(), keys: new MemoryKeyStore() })

/** The creds as a restarted process reads them back from storage (BufferJSON, as the gateway stores them). */
export const reloadedCreds = (auth: StoredAuth): AuthenticationCreds => {
  const parsed: unknown = JSON.parse(JSON.stringify(auth.creds, BufferJSON.replacer), BufferJSON.reviver)
  return { ...initAuthCreds(), ...(typeof parsed === "object" && parsed !== null ? parsed : {}) }
}

export type ConnectionUpdate = Partial<ConnectionState>

export interface TestClient {
  readonly socket: ReturnType<typeof makeWASocket>
  readonly updates: ReadonlyArray<ConnectionUpdate>
  /** The first update (already seen or coming) that matches, within `timeoutMs`. */
  waitFor(match: (update: ConnectionUpdate) => boolean, what: string, timeoutMs?: number): Promise<ConnectionUpdate>
  /** The next `qr`. */
  qr(timeoutMs?: number): Promise<string>
  /** Waits for `connection: 'open'`. */
  opened(timeoutMs?: number): Promise<void>
  /** The status code the connection closed with (Baileys' `lastDisconnect.error.output.statusCode`). */
  closed(timeoutMs?: number): Promise<number | undefined>
  end(): Promise<void>
}

/** Reads `output.statusCode` of a Boom without casting it. */
export const statusCodeOf = (error: unknown): number | undefined => {
  if (typeof error !== "object" || error === null || !("output" in error)) return undefined
  const output: unknown = error.output
  if (typeof output !== "object" || output === null || !("statusCode" in output)) return undefined
  return typeof output.statusCode === "number" ? output.statusCode : undefined
}

export interface ClientOptions {
  readonly url: string
  readonly auth: StoredAuth
  readonly qrTimeout?: number
}

export const connectClient = ({ url, auth, qrTimeout }: ClientOptions): TestClient => {
  const updates: Array<ConnectionUpdate> = []
  const listeners = new Set<() => void>()
  const socket = makeWASocket({
    waWebSocketUrl: url,
    auth: { creds: auth.creds, keys: auth.keys },
    logger: silentLogger,
    printQRInTerminal: false,
    markOnlineOnConnect: false,
    // no history sync: the client goes online right after login instead of waiting 20 s for history
    shouldSyncHistoryMessage: () => false,
    connectTimeoutMs: 10_000,
    ...(qrTimeout === undefined ? {} : { qrTimeout })
  })
  socket.ev.on("connection.update", (update) => {
    updates.push(update)
    for (const wake of listeners) wake()
  })
  const waitFor = (match: (update: ConnectionUpdate) => boolean, what: string, timeoutMs = 10_000): Promise<ConnectionUpdate> =>
    new Promise((resolve, reject) => {
      const settle = (outcome: () => void): void => {
        listeners.delete(wake)
        clearTimeout(timer)
        outcome()
      }
      const failure = (why: string): Error => new Error(`no ${what} ${why}; updates: ${JSON.stringify(updates.map(describe))}`)
      const check = (): void => {
        const found = updates.find(match)
        if (found !== undefined) return settle(() => resolve(found))
        // a closed socket sends nothing more: fail now rather than at the timeout
        if (updates.some((u) => u.connection === "close")) settle(() => reject(failure("before the socket closed")))
      }
      const wake = (): void => check()
      const timer = setTimeout(() => settle(() => reject(failure(`within ${timeoutMs} ms`))), timeoutMs)
      listeners.add(wake)
      check()
    })
  return {
    socket,
    updates,
    waitFor,
    qr: async (timeoutMs) => {
      const update = await waitFor((u) => typeof u.qr === "string", "qr", timeoutMs)
      return update.qr ?? ""
    },
    opened: async (timeoutMs) => {
      await waitFor((u) => u.connection === "open", "connection open", timeoutMs)
    },
    closed: async (timeoutMs) => {
      const update = await waitFor((u) => u.connection === "close", "connection close", timeoutMs)
      return statusCodeOf(update.lastDisconnect?.error)
    },
    end: () => socket.end(undefined)
  }
}

const describe = (update: ConnectionUpdate): Record<string, unknown> => ({
  ...(update.connection === undefined ? {} : { connection: update.connection }),
  ...(update.qr === undefined ? {} : { qr: "…" }),
  ...(update.lastDisconnect === undefined ? {} : { status: statusCodeOf(update.lastDisconnect.error), error: update.lastDisconnect.error?.message })
})
