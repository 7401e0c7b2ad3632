// Reads the drill's database directly and checks the event log against the
// ledger and the read model: every acknowledged change is in the log,
// histories are contiguous, and each `sessions` row equals a replay of its
// stream (an independent fold of DESIGN §2's table, not the domain's code).
import pg from "pg"
import type { Acknowledged, Ledger } from "./ledger.js"

interface EventRow {
  readonly stream_id: string
  readonly stream_version: number
  readonly org_id: string
  readonly type: string
  readonly data: Record<string, unknown>
}

interface SessionRow {
  readonly session_id: string
  readonly org_id: string
  readonly name: string
  readonly status: string
  readonly phone_number: string | null
  readonly wa_jid: string | null
  readonly wa_lid: string | null
  readonly push_name: string | null
  readonly version: number
}

export interface LogCheck {
  readonly streams: number
  readonly events: number
  readonly acknowledged: number
  /** Acknowledged changes not in the log (or not where the answer said). */
  readonly lost: number
  /** Streams whose versions are not 1..n. */
  readonly gaps: number
  /** Read-model rows that differ from a replay of their stream (or exist without one). */
  readonly readModelMismatches: number
  /** A few of each, for the report. */
  readonly examples: ReadonlyArray<string>
}

type Replayed = Omit<SessionRow, "session_id"> & { readonly deleted: boolean }

const text = (value: unknown): string | null => (typeof value === "string" ? value : null)

const replay = (events: ReadonlyArray<EventRow>): Replayed => {
  let state: Replayed = {
    org_id: "", name: "", status: "none", phone_number: null, wa_jid: null, wa_lid: null, push_name: null, version: 0, deleted: false
  }
  let beforePairing = "unpaired"
  const noIdentity = { phone_number: null, wa_jid: null, wa_lid: null, push_name: null }
  for (const event of events) {
    const version = state.version + 1
    switch (event.type) {
      case "SessionCreated":
        state = { ...state, ...noIdentity, org_id: event.org_id, name: text(event.data["name"]) ?? "", status: "unpaired", version }
        break
      case "PairingStarted":
        if (state.status !== "pairing") beforePairing = state.status
        state = { ...state, status: "pairing", version }
        break
      case "SessionPaired":
        state = {
          ...state,
          status: "paired",
          phone_number: text(event.data["phoneNumber"]),
          wa_jid: text(event.data["waJid"]),
          wa_lid: text(event.data["waLid"]),
          push_name: text(event.data["pushName"]),
          version
        }
        break
      case "PairingFailed":
        state = { ...state, ...noIdentity, status: beforePairing, version }
        break
      case "LoggedOut":
        state = { ...state, ...noIdentity, status: "logged_out", version }
        break
      case "SessionDeleted":
        state = { ...state, deleted: true, version }
        break
      default:
        state = { ...state, status: `unknown event ${event.type}`, version }
    }
  }
  return state
}

/** Whether the acknowledged changes appear in the stream, in order, at the versions the answers gave. */
const missingFrom = (events: ReadonlyArray<EventRow>, acknowledged: ReadonlyArray<Acknowledged>): Acknowledged | undefined => {
  let at = 0
  const matches = (change: Acknowledged, event: EventRow): boolean => {
    switch (change.kind) {
      case "created":
        return event.type === "SessionCreated" && event.stream_version === 1
      case "pairing":
        return event.type === "PairingStarted" && event.data["method"] === change.method
      case "paired":
        return event.type === "SessionPaired" && event.stream_version === change.version
      case "logged_out":
        return event.type === "LoggedOut" && event.stream_version === change.version
      case "deleted":
        return event.type === "SessionDeleted"
    }
  }
  for (const change of acknowledged) {
    while (at < events.length && !matches(change, events[at]!)) at++
    if (at === events.length) return change
    at++
  }
  return undefined
}

const sameRow = (row: SessionRow, replayed: Replayed): boolean =>
  row.org_id === replayed.org_id && row.name === replayed.name && row.status === replayed.status &&
  row.phone_number === replayed.phone_number && row.wa_jid === replayed.wa_jid && row.wa_lid === replayed.wa_lid &&
  row.push_name === replayed.push_name && row.version === replayed.version

const LISTED = 10

export const checkLog = async (databaseUrl: string, ledger: Ledger): Promise<LogCheck> => {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const events = (await client.query<EventRow>(
      "select stream_id, stream_version, org_id, type, data from events order by stream_id, stream_version"
    )).rows
    const rows = (await client.query<SessionRow>(
      "select session_id, org_id, name, status, phone_number, wa_jid, wa_lid, push_name, version from sessions"
    )).rows
    const streams = new Map<string, Array<EventRow>>()
    for (const event of events) {
      const list = streams.get(event.stream_id) ?? []
      list.push(event)
      streams.set(event.stream_id, list)
    }
    const gaps: Array<string> = []
    const mismatches: Array<string> = []
    const replayed = new Map<string, Replayed>()
    for (const [streamId, stream] of streams) {
      if (stream.some((event, i) => event.stream_version !== i + 1)) gaps.push(streamId)
      replayed.set(streamId, replay(stream))
    }
    const rowIds = new Set<string>()
    for (const row of rows) {
      rowIds.add(row.session_id)
      const expected = replayed.get(row.session_id)
      if (expected === undefined || expected.deleted || !sameRow(row, expected)) {
        mismatches.push(`${row.session_id}: row ${JSON.stringify(row)} vs replay ${JSON.stringify(expected ?? null)}`)
      }
    }
    for (const [streamId, expected] of replayed) {
      if (!expected.deleted && !rowIds.has(streamId)) mismatches.push(`${streamId}: no read-model row for a live stream`)
    }
    const lost: Array<string> = []
    for (const [sessionId, acknowledged] of ledger.entries()) {
      const missing = missingFrom(streams.get(sessionId) ?? [], acknowledged)
      if (missing !== undefined) lost.push(`${sessionId}: ${JSON.stringify(missing)}`)
    }
    return {
      streams: streams.size,
      events: events.length,
      acknowledged: ledger.size(),
      lost: lost.length,
      gaps: gaps.length,
      readModelMismatches: mismatches.length,
      examples: [
        ...lost.slice(0, LISTED).map((line) => `lost ${line}`),
        ...gaps.slice(0, LISTED).map((line) => `gap in ${line}`),
        ...mismatches.slice(0, LISTED).map((line) => `read model ${line}`)
      ]
    }
  } finally {
    await client.end()
  }
}
