// Where a moved session's time goes: the cluster's shard locks and the
// sessions' fences as PostgreSQL holds them (polled), and the fake WhatsApp's
// record of each device's sockets. Every instant is wall-clock milliseconds
// on this one machine (the drill, its fake and its PostgreSQL share the clock).
import type { FakeDevice } from "@wa-gateway/testkit/fake-whatsapp"
import pg from "pg"
import { sleep } from "../step.js"

/** The cluster's tables (`TABLE_PREFIX` in cluster-gateway.ts). */
const LOCKS = "wa_cluster_locks"
const MESSAGES = "wa_cluster_messages"
const POLL_MS = 100

export interface Watched {
  readonly sessionId: string
  readonly device: FakeDevice
}

/** One session's way from the old owner to the new one, each instant in ms after the signal (undefined: not seen). */
export interface Move {
  readonly sessionId: string
  readonly oldSocketClosed: number | undefined
  readonly lockReleased: number | undefined
  readonly lockTaken: number | undefined
  readonly fenceTaken: number | undefined
  readonly newSocketOpened: number | undefined
  readonly loggedIn: number | undefined
  /** The new socket opened before the old one closed. */
  readonly overlap: boolean
}

export const PHASES = ["oldSocketClosed", "lockReleased", "lockTaken", "fenceTaken", "newSocketOpened", "loggedIn"] as const
type Phase = (typeof PHASES)[number]

const PHASE_LABELS: Record<Phase, string> = {
  oldSocketClosed: "old socket closed",
  lockReleased: "shard lock released",
  lockTaken: "shard lock taken",
  fenceTaken: "entity started (fence)",
  newSocketOpened: "new socket open",
  loggedIn: "logged in"
}

export const percentile = (values: ReadonlyArray<number>, p: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}
const seconds = (ms: number) => (Number.isNaN(ms) ? "–" : `${(ms / 1000).toFixed(2)} s`)

/** `phase p50/p99` over the moves that reached it, in order, one line. */
export const breakdown = (moves: ReadonlyArray<Move>): string =>
  PHASES.map((phase) => {
    const values = moves.flatMap((m) => (m[phase] === undefined ? [] : [m[phase]]))
    return `${PHASE_LABELS[phase]} ${seconds(percentile(values, 50))}/${seconds(percentile(values, 99))}`
  }).join(" → ")

export const phaseFigures = (moves: ReadonlyArray<Move>): Record<string, { readonly p50Ms: number; readonly p99Ms: number; readonly seen: number }> =>
  Object.fromEntries(PHASES.map((phase) => {
    const values = moves.flatMap((m) => (m[phase] === undefined ? [] : [m[phase]]))
    return [phase, { p50Ms: percentile(values, 50), p99Ms: percentile(values, 99), seen: values.length }]
  }))

/**
 * Starts polling the shard locks (who holds each shard, and when that
 * changed) until `finish`, which reads the fences and the devices' sockets
 * and returns each watched session's move away from `from` (a runner address).
 */
export const watchMoves = async (databaseUrl: string, sessions: ReadonlyArray<Watched>, from: string) => {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  const shards = await client.query<{ entity_id: string; shard_id: string }>(
    `select distinct entity_id, shard_id from ${MESSAGES} where entity_type = 'WaSession'`
  )
  const shardOf = new Map(shards.rows.map((r) => [r.entity_id, r.shard_id]))
  /** For each shard: when it was first seen not held by `from`, and when first held by another runner. */
  const released = new Map<string, number>()
  const taken = new Map<string, number>()
  let stopped = false
  let signalledAt = Date.now()
  const poll = (async () => {
    while (!stopped) {
      const at = Date.now()
      const rows = await client.query<{ shard_id: string; address: string }>(`select shard_id, address from ${LOCKS}`).catch(() => undefined)
      if (rows !== undefined) {
        const holder = new Map(rows.rows.map((r) => [r.shard_id, r.address]))
        for (const shard of new Set(shardOf.values())) {
          const address = holder.get(shard)
          if (address !== from && !released.has(shard)) released.set(shard, at)
          if (address !== undefined && address !== from && !taken.has(shard)) taken.set(shard, at)
        }
      }
      await sleep(POLL_MS)
    }
  })()

  return {
    /** The instant the moves are measured from. */
    signalled: () => {
      signalledAt = Date.now()
    },
    finish: async (): Promise<ReadonlyArray<Move>> => {
      stopped = true
      await poll
      const fences = await client.query<{ session_id: string; runner: string; at: string }>(
        `select session_id, runner, (extract(epoch from acquired_at) * 1000)::bigint::text as at from session_owners`
      )
      await client.end()
      const fenceAt = new Map(fences.rows.filter((r) => r.runner !== from).map((r) => [r.session_id, Number(r.at)]))
      const since = (at: number | undefined) => (at === undefined || at < signalledAt ? undefined : at - signalledAt)
      return sessions.map(({ sessionId, device }) => {
        const old = device.connections.find((c) => c.openedAt.getTime() < signalledAt && (c.closedAt === undefined || c.closedAt.getTime() >= signalledAt))
        const next = device.connections.find((c) => c.openedAt.getTime() >= signalledAt && c.loggedIn)
        const shard = shardOf.get(sessionId)
        return {
          sessionId,
          oldSocketClosed: since(old?.closedAt?.getTime()),
          lockReleased: shard === undefined ? undefined : since(released.get(shard)),
          lockTaken: shard === undefined ? undefined : since(taken.get(shard)),
          fenceTaken: since(fenceAt.get(sessionId)),
          newSocketOpened: since(next?.openedAt.getTime()),
          loggedIn: since(next?.loggedInAt?.getTime()),
          overlap: old !== undefined && next !== undefined && (old.closedAt === undefined || old.closedAt.getTime() > next.openedAt.getTime())
        }
      })
    }
  }
}
