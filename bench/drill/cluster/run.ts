// `npm run drill -- cluster [--quick]`: issue 14's drill. Three gateway
// processes as cluster runners on one PostgreSQL of the drill's own, the real
// Baileys engine against the testkit's fake WhatsApp (which records every
// connection of every device). Pairs sessions through all three, then:
// kill -9 of the busiest runner (its sessions must log in again on the
// others), a SIGTERM hand-over, the third runner's database connection cut
// (through a proxy), and in the full drill a SIGSTOP'd zombie; then a
// command through a non-owner and (full) GET throughput with 1 and with 3
// processes. Each move prints where its time went (timeline.ts).
// Exits non-zero on a double connection, a missed target or a lost session.
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { type FakeDevice, type FakeWhatsApp, startFakeWhatsApp } from "@wa-gateway/testkit/fake-whatsapp"
import pg from "pg"
import { type Cluster, createCluster } from "../cluster.js"
import { freePort } from "../ports.js"
import { printTable, writeResults } from "../report.js"
import { createApiKey } from "../server-process.js"
import { sleep, type StepResult } from "../step.js"
import { startDbProxy } from "./db-proxy.js"
import { profileRunners, profilingEnabled, watchTables } from "./profiler.js"
import { type RunnerProcess, runnerProcess } from "./runner-process.js"
import { breakdown, percentile, phaseFigures, watchMoves } from "./timeline.js"

const quick = process.argv.includes("--quick")
const plan = quick
  ? { sessions: 30, deadlineMs: 170_000, failoverTargetMs: 20_000, handoverTargetMs: 5_000, zombieMs: 0, throughput: false }
  : { sessions: Number(process.env["DRILL_SESSIONS"] ?? 300), deadlineMs: 20 * 60_000, failoverTargetMs: 20_000, handoverTargetMs: 5_000, zombieMs: 60_000, throughput: true }
/** The runners' CLUSTER_SHARD_LOCK_EXPIRY_MS: the default, unless the drill is told otherwise. */
const SHARD_LOCK_EXPIRY_MS = Number(process.env["DRILL_SHARD_LOCK_EXPIRY_MS"] ?? 10_000)
const PAIRING_CONCURRENCY = 8
/** `DRILL_STEPS=handover,cut`: only these moves (kill, handover, cut, zombie, throughput), to look at one closely. */
const STEPS = new Set((process.env["DRILL_STEPS"] ?? "kill,handover,cut,zombie,throughput").split(","))
const name = quick ? "drill-cluster-quick" : "drill-cluster"
const resultsDir = fileURLToPath(new URL("../../results", import.meta.url))

let cluster: Cluster | undefined
let fake: FakeWhatsApp | undefined
const runners: Array<RunnerProcess> = []
let pausedWindow: { readonly from: Date; readonly to: Date } | undefined

const cleanUp = () => {
  for (const runner of runners) runner.forceKill()
  // The runners' logs outlive the drill's cluster directory.
  mkdirSync(resultsDir, { recursive: true })
  for (const runner of runners) {
    if (existsSync(runner.logFile)) copyFileSync(runner.logFile, join(resultsDir, `${name}-${runner.name}.log`))
  }
  runners.length = 0
  const removing = cluster
  cluster = undefined
  removing?.remove()
}
process.on("exit", cleanUp)
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => process.exit(130))
setTimeout(() => {
  console.error(`the cluster drill ran over its ${plan.deadlineMs / 1000} s bound`)
  process.exit(1)
}, plan.deadlineMs).unref()

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

interface Paired {
  readonly sessionId: string
  readonly device: FakeDevice
}

const api = (token: string) => async (runner: RunnerProcess, method: string, path: string, body?: unknown) => {
  const response = await fetch(`${runner.baseUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(60_000)
  })
  const text = await response.text()
  return { status: response.status, body: text.length === 0 ? undefined : (JSON.parse(text) as Record<string, unknown>) }
}
type Api = ReturnType<typeof api>

const field = (body: Record<string, unknown> | undefined, key: string): string => {
  const value = body?.[key]
  if (typeof value !== "string") throw new Error(`no ${key} in ${JSON.stringify(body)}`)
  return value
}

/** Sessions created, their QR shown and scanned, each step through the next runner in turn (mostly not the owner). */
const pairAll = async (call: Api, count: number): Promise<Array<Paired>> => {
  const paired: Array<Paired> = []
  let next = 0
  let turn = 0
  const live = () => runners.filter((r) => r.alive())
  await Promise.all(Array.from({ length: PAIRING_CONCURRENCY }, async () => {
    while (next < count) {
      const i = next++
      const via = () => live()[turn++ % live().length]!
      const created = await call(via(), "POST", "/sessions", { name: `drill ${i}` })
      const sessionId = field(created.body, "sessionId")
      const qr = await call(via(), "GET", `/sessions/${sessionId}/qr`)
      if (qr.status !== 200) throw new Error(`GET /qr through a runner: ${qr.status} ${JSON.stringify(qr.body)}`)
      const device = await fake!.phone.scan(field(qr.body, "qr"), { phoneNumber: `6281${String(i).padStart(9, "0")}` })
      await device.waitForLogin({ timeoutMs: 60_000 })
      // Paired once the store says so: a login the owner has not recorded yet dies with it (as in one process).
      const deadline = Date.now() + 30_000
      while ((await call(via(), "GET", `/sessions/${sessionId}`)).body?.["status"] !== "paired") {
        if (Date.now() > deadline) throw new Error(`${sessionId} logged in but is not paired after 30 s`)
        await sleep(100)
      }
      paired.push({ sessionId, device })
    }
  }))
  return paired
}

const ownersOf = async (databaseUrl: string): Promise<Map<string, string>> => {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const rows = await client.query<{ session_id: string; runner: string }>("select session_id, runner from session_owners")
    return new Map(rows.rows.map((r) => [r.session_id, r.runner]))
  } finally {
    await client.end()
  }
}

/** Each session's connection-log entries since `since`, oldest first, as `type` or `type:cause`. */
const connectionRecords = async (databaseUrl: string, sessionIds: ReadonlyArray<string>, since: Date): Promise<Map<string, Array<string>>> => {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const rows = await client.query<{ session_id: string; type: string; cause: string | null }>(
      "select session_id, type, cause from connection_events where session_id = any($1) and occurred_at >= $2 order by position",
      [sessionIds, since]
    )
    const bySession = new Map<string, Array<string>>()
    for (const row of rows.rows) bySession.set(row.session_id, [...(bySession.get(row.session_id) ?? []), row.cause === null ? row.type : `${row.type}:${row.cause}`])
    return bySession
  } finally {
    await client.end()
  }
}

/**
 * Waits until every one of these sessions' devices has logged in once more than before; each time is from
 * `since` (wall clock) to that login as the fake saw it, not to when this wait noticed it (which, behind a
 * slow process exit, would add the exit's time to every session).
 */
const reconnectTimes = async (moved: ReadonlyArray<Paired>, before: Map<string, number>, since: number, timeoutMs: number) => {
  const times: Array<number> = []
  const missing: Array<string> = []
  await Promise.all(moved.map(async ({ device, sessionId }) => {
    try {
      await device.waitForLogin({ count: (before.get(sessionId) ?? 0) + 1, timeoutMs })
      const login = device.connections.find((c) => c.openedAt.getTime() >= since && c.loggedInAt !== undefined)
      times.push((login?.loggedInAt?.getTime() ?? Date.now()) - since)
    } catch {
      missing.push(sessionId)
    }
  }))
  return { times, missing }
}

const step = (name: string, started: number, fields: Partial<StepResult> & { readonly ok: boolean; readonly measure: string }): StepResult => ({
  step: name,
  durationMs: performance.now() - started,
  requests: 0,
  acknowledged: 0,
  lost: 0,
  serverErrors: 0,
  failures: [],
  details: {},
  ...fields
})

/** Sessions of one runner stop there (`stop` does it) and must log in again on the others within `targetMs`. */
const moveStep = async (
  label: string,
  paired: ReadonlyArray<Paired>,
  databaseUrl: string,
  victim: RunnerProcess,
  stop: () => Promise<void>,
  targetMs: number,
  /** The old owner must have closed each socket before the new one opened it (not so for a paused process). */
  handOff = true
): Promise<StepResult> => {
  const started = performance.now()
  const owners = await ownersOf(databaseUrl)
  const moved = paired.filter((p) => owners.get(p.sessionId) === victim.runnerAddress)
  const before = new Map(paired.map((p) => [p.sessionId, p.device.logins]))
  const watch = await watchMoves(databaseUrl, moved, victim.runnerAddress)
  const tables = profilingEnabled ? await watchTables(databaseUrl) : undefined
  const profiles = profilingEnabled ? await profileRunners(runners.filter((r) => r !== victim), resultsDir, `${name}-${label.replace(/[^a-z0-9]+/gi, "-")}`) : undefined
  const since = Date.now()
  watch.signalled()
  await stop()
  const { missing, times } = await reconnectTimes(moved, before, since, Math.max(targetMs * 3, 60_000))
  if (profiles !== undefined) console.log(`profiles: ${(await profiles.stop()).join(", ")}`)
  if (tables !== undefined) console.log(`${label}, the database's work:\n${await tables.report(moved.length)}`)
  const moves = await watch.finish()
  const after = await ownersOf(databaseUrl)
  const stillThere = moved.filter((p) => after.get(p.sessionId) === victim.runnerAddress).length
  const p50 = percentile(times, 50)
  const p99 = percentile(times, 99)
  const max = Math.max(...times)
  const overlapping = handOff ? moves.filter((m) => m.overlap) : []
  const failures = [
    ...missing.map((id) => `${id} did not log in again`),
    ...overlapping.map((m) => `${m.sessionId}: the new owner's socket opened before the old one closed`),
    ...(max > targetMs ? [`max ${seconds(max)} over the ${seconds(targetMs)} target`] : []),
    ...(stillThere > 0 ? [`${stillThere} session(s) still owned by ${victim.name}`] : [])
  ]
  return step(label, started, {
    ok: failures.length === 0 && moved.length > 0,
    requests: moved.length,
    acknowledged: times.length,
    lost: missing.length,
    measure: `${times.length}/${moved.length} sessions of ${victim.name} back on the others: p50 ${seconds(p50)}, p99 ${seconds(p99)}, max ${seconds(max)} (target ${seconds(targetMs)}); ` +
      `p50/p99 after the signal: ${breakdown(moves)}${handOff ? `; ${overlapping.length} opened before the old socket closed` : ""}`,
    failures,
    details: { moved: moved.length, p50Ms: p50, p99Ms: p99, maxMs: max, phases: phaseFigures(moves) }
  })
}

/** Until every still-linked device has a logged-in socket and the owners stop changing (after a restart's rebalance). */
const settle = async (paired: ReadonlyArray<Paired>, databaseUrl: string, timeoutMs = 90_000) => {
  const deadline = Date.now() + timeoutMs
  let last = ""
  let stableSince = Date.now()
  while (Date.now() < deadline) {
    const owners = JSON.stringify([...(await ownersOf(databaseUrl)).entries()].sort())
    if (owners !== last) {
      last = owners
      stableSince = Date.now()
    }
    const connected = paired.filter((p) => p.device.linked).every((p) => p.device.connections.some((c) => c.loggedIn && c.closedAt === undefined))
    if (connected && Date.now() - stableSince > 4_000) return
    await sleep(500)
  }
  const down = paired.filter((p) => p.device.linked && !p.device.connections.some((c) => c.loggedIn && c.closedAt === undefined))
  throw new Error(`the cluster did not settle: ${down.length} session(s) not connected (${down.slice(0, 3).map((p) => p.sessionId).join(", ")}), or owners still moving`)
}

/** Lines of a runner's log since byte `from` that say the fence refused something. */
const fenceRefusals = (logFile: string, from: number) => {
  const text = readFileSync(logFile).subarray(from).toString("utf8")
  const count = (pattern: RegExp) => text.split("\n").filter((line) => pattern.test(line)).length
  return {
    writes: count(/refused by the ownership fence/),
    sockets: count(/this one opens no socket/),
    end: statSync(logFile).size
  }
}

/** GET /sessions/{id} for `ms` with `concurrency` clients, each request to the next of `targets`. */
const getThroughput = async (token: string, targets: ReadonlyArray<RunnerProcess>, sessionIds: ReadonlyArray<string>, ms: number, concurrency: number) => {
  let done = 0
  let failed = 0
  let turn = 0
  const until = performance.now() + ms
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < until) {
      const target = targets[turn++ % targets.length]!
      const sessionId = sessionIds[turn % sessionIds.length]!
      const response = await fetch(`${target.baseUrl}/api/v1/sessions/${sessionId}`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined)
      if (response?.status === 200) done++
      else failed++
      await response?.arrayBuffer()
    }
  }))
  return { perSecond: done / (ms / 1000), failed }
}

/**
 * API clients while sessions move: reads of the moved sessions (200) and `/qr` on them (400
 * validation_error: already paired, answered by the owner's entity, wherever it runs now) through the
 * runners that stay, until `stop`; anything else is an error a client would have seen.
 */
const probeClients = (call: Api, targets: ReadonlyArray<RunnerProcess>, sessionIds: ReadonlyArray<string>, clients = 4) => {
  let running = true
  let requests = 0
  const unexpected: Array<string> = []
  let turn = 0
  const qrLatencies: Array<number> = []
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      const i = turn++
      const target = targets[i % targets.length]!
      const sessionId = sessionIds[i % sessionIds.length]!
      const read = i % 2 === 0
      const path = read ? `/sessions/${sessionId}` : `/sessions/${sessionId}/qr`
      requests++
      const sent = performance.now()
      const answer = await call(target, "GET", path).catch((e: unknown) => ({ status: 0, body: { error: String(e) } }))
      if (!read) qrLatencies.push(performance.now() - sent)
      const expected = read ? answer.status === 200 : answer.status === 400 && JSON.stringify(answer.body).includes('"validation_error"')
      if (!expected) unexpected.push(`GET ${path} via ${target.name}: ${answer.status} ${JSON.stringify(answer.body)}`)
    }
  })
  return {
    stop: async () => {
      running = false
      await Promise.all(loops)
      return { requests, unexpected, qrP99Ms: percentile(qrLatencies, 99) }
    }
  }
}

const busiest = async (databaseUrl: string): Promise<RunnerProcess> => {
  const owners = await ownersOf(databaseUrl)
  const count = (r: RunnerProcess) => [...owners.values()].filter((runner) => runner === r.runnerAddress).length
  return runners.filter((r) => r.alive()).sort((a, b) => count(b) - count(a))[0]!
}

const main = async (): Promise<number> => {
  const started = performance.now()
  const results: Array<StepResult> = []
  const pgPort = await freePort(20_000, 30_000)
  cluster = createCluster(pgPort)
  await cluster.start()
  const databaseUrl = cluster.url
  mkdirSync(cluster.dir, { recursive: true })
  fake = await startFakeWhatsApp({ closeGraceMs: 2_000, timeoutMs: 60_000 })
  const token = createApiKey(databaseUrl, "drill")
  const call = api(token)
  console.log(`cluster drill${quick ? " --quick" : ""}: ${plan.sessions} sessions, 3 runners, PostgreSQL on 127.0.0.1:${pgPort}, logs in ${cluster.dir}`)

  // The third runner reaches PostgreSQL through a proxy the drill can cut.
  const proxy = await startDbProxy(await freePort(32_000, 32_700), { host: "127.0.0.1", port: pgPort })
  const proxiedUrl = databaseUrl.replace(`:${pgPort}/`, `:${proxy.port}/`)
  for (const n of [1, 2, 3]) {
    const runner = runnerProcess({
      name: `gateway-${n}`,
      httpPort: await freePort(30_000, 31_000),
      runnerPort: await freePort(31_000, 32_000),
      databaseUrl: n === 3 ? proxiedUrl : databaseUrl,
      whatsapp: { url: fake.url, certRoot: fake.certRoot },
      logDir: cluster.dir,
      shardLockExpiryMs: SHARD_LOCK_EXPIRY_MS,
      inspectPort: profilingEnabled ? await freePort(29_000, 30_000) : undefined
    })
    runners.push(runner)
  }
  await Promise.all(runners.map((r) => r.start()))
  // The runners see each other and split the shards before the first session.
  await sleep(4_000)

  const pairingStarted = performance.now()
  const paired = await pairAll(call, plan.sessions)
  const owners = await ownersOf(databaseUrl)
  const spread = runners.map((r) => `${r.name} ${[...owners.values()].filter((o) => o === r.runnerAddress).length}`).join(", ")
  results.push(step("pair through any runner", pairingStarted, {
    ok: paired.length === plan.sessions && owners.size === plan.sessions,
    requests: plan.sessions,
    acknowledged: paired.length,
    measure: `${paired.length} sessions paired by QR, create and /qr each through a runner in turn; owners: ${spread}`
  }))

  if (STEPS.has("kill")) {
    const victim = await busiest(databaseUrl)
    results.push(await moveStep("kill -9 of the busiest runner", paired, databaseUrl, victim, async () => {
      victim.signal("SIGKILL")
      await victim.exited(10_000)
    }, plan.failoverTargetMs))
    // The killed runner comes back (its shards rebalance onto it).
    await victim.start()
    await settle(paired, databaseUrl)
  }

  if (STEPS.has("handover")) {
    // The busiest runner hands its sessions over on SIGTERM.
    const leaving = await busiest(databaseUrl)
    let exitMs = 0
    const leavingOwned = [...(await ownersOf(databaseUrl)).entries()].filter(([, runner]) => runner === leaving.runnerAddress).map(([id]) => id)
    const signalledAt = new Date()
    const clients = probeClients(call, runners.filter((r) => r !== leaving), leavingOwned)
    const handover = await moveStep("SIGTERM hand-over", paired, databaseUrl, leaving, async () => {
      const signalled = performance.now()
      leaving.signal("SIGTERM")
      await leaving.exited(30_000)
      exitMs = performance.now() - signalled
    }, plan.handoverTargetMs)
    const seen = await clients.stop()
    // The durable record a non-owner reads `connected` from: the old owner's last Disconnected, then the new owner's Connected.
    // The new owner records its Connected just after the login the fake saw: given a few seconds.
    let records = new Map<string, Array<string>>()
    // What must hold: the last record is the new owner's Connected. The old owner's shutdown Disconnected
    // comes first when it was recorded within the stopping entity's bound (2 s): counted, not required.
    const handedOver = (id: string) => (records.get(id) ?? []).at(-1) === "session.connected"
    const withShutdown = (id: string) => (records.get(id) ?? []).includes("session.disconnected:shutdown")
    const recordsDeadline = Date.now() + 5_000
    do {
      records = await connectionRecords(databaseUrl, leavingOwned, signalledAt)
      if (leavingOwned.every(handedOver)) break
      await sleep(200)
    } while (Date.now() < recordsDeadline)
    const recorded = leavingOwned.filter(handedOver).length
    const unrecorded = leavingOwned.filter((id) => !handedOver(id)).slice(0, 3).map((id) => `${id}: ${(records.get(id) ?? []).join(", ") || "nothing"}`)
    // How long the leaving process took to exit bounds how soon its shard locks are free.
    results.push({
      ...handover,
      ok: handover.ok && recorded === leavingOwned.length && seen.unexpected.length === 0,
      serverErrors: seen.unexpected.length,
      measure: `${handover.measure}; it exited ${seconds(exitMs)} after SIGTERM; connection log: ${recorded}/${leavingOwned.length} end with the new owner's Connected, ` +
        `${leavingOwned.filter(withShutdown).length} with the old owner's shutdown Disconnected before it; ` +
        `API clients meanwhile (GET the moved sessions: 200; their /qr: 400 from the owner, p99 ${seconds(seen.qrP99Ms)}): ${seen.requests} requests, ${seen.unexpected.length} other answers`,
      failures: [
        ...handover.failures,
        ...(recorded === leavingOwned.length ? [] : [`${leavingOwned.length - recorded} session(s) whose connection log does not end with a Connected (${unrecorded.join("; ")})`]),
        ...seen.unexpected.slice(0, 5)
      ],
      details: { ...handover.details, exitMs, recordedHandOvers: recorded, recordedShutdowns: leavingOwned.filter(withShutdown).length, clientRequests: seen.requests, clientErrors: seen.unexpected.length }
    })
    await leaving.start()
    await settle(paired, databaseUrl)
  }

  if (STEPS.has("cut")) {
    // The third runner loses PostgreSQL (every connection cut, new ones refused) while it owns sessions:
    // unable to renew its shard locks, it must drop its sockets before the others may take its shards.
    const cutOff = runners[2]!
    const cut = await moveStep("database connection cut", paired, databaseUrl, cutOff, async () => {
      proxy.cut()
    }, plan.failoverTargetMs)
    const survived = cutOff.alive()
    proxy.restore()
    results.push({
      ...cut,
      ok: cut.ok && survived,
      failures: [...cut.failures, ...(survived ? [] : [`${cutOff.name} died without its database`])]
    })
    // Its database back, it rejoins and takes its share again.
    if (!survived) await cutOff.start()
    await settle(paired, databaseUrl)
  }

  if (!quick && STEPS.has("zombie")) {
    // The zombie: paused while the others take its sessions over, then woken.
    const zombie = await busiest(databaseUrl)
    const logFrom = statSync(zombie.logFile).size
    const stopAt = new Date()
    let contAt = new Date()
    const moved = await moveStep(`SIGSTOP ${plan.zombieMs / 1000} s (zombie)`, paired, databaseUrl, zombie, async () => {
      zombie.signal("SIGSTOP")
    }, plan.failoverTargetMs, false)
    const left = plan.zombieMs - (Date.now() - stopAt.getTime())
    if (left > 0) await sleep(left)
    contAt = new Date()
    zombie.signal("SIGCONT")
    await sleep(20_000)
    const refusals = fenceRefusals(zombie.logFile, logFrom)
    // While it slept its sockets stayed open at the TCP level: the new owner's login replaced each (440).
    const pauseOverlaps = fake.devices.flatMap((d) => d.overlaps.filter((o) => o.at >= stopAt && o.at <= contAt))
    const lateOverlaps = fake.devices.flatMap((d) => d.overlaps.filter((o) => o.at > contAt))
    const zombieAlive = zombie.alive()
    results.push({
      ...moved,
      ok: moved.ok && lateOverlaps.length === 0 && zombieAlive,
      measure: `${moved.measure}; after waking: ${refusals.writes} write(s) and ${refusals.sockets} socket(s) refused by the fence, ` +
        `${lateOverlaps.length} double connection(s); ${pauseOverlaps.length} socket(s) of the paused process replaced (440) by the new owner's login`,
      failures: [...moved.failures, ...lateOverlaps.map((o) => `double connection after waking at ${o.at.toISOString()}`), ...(zombieAlive ? [] : ["the zombie died"])],
      details: { ...moved.details, refusedWrites: refusals.writes, refusedSockets: refusals.sockets, pauseOverlaps: pauseOverlaps.length, lateOverlaps: lateOverlaps.length }
    })
    pausedWindow = { from: stopAt, to: contAt }
    await settle(paired, databaseUrl)
  }

  // A command through a process that does not own the session.
  const nonOwnerStarted = performance.now()
  const ownersNow = await ownersOf(databaseUrl)
  const target = paired.find((p) => ownersNow.get(p.sessionId) !== undefined)!
  const other = runners.find((r) => r.alive() && r.runnerAddress !== ownersNow.get(target.sessionId))!
  const logout = await call(other, "POST", `/sessions/${target.sessionId}:logout`)
  const loggedOut = logout.status === 200 && logout.body?.["status"] === "logged_out" && !target.device.linked
  results.push(step(":logout through a non-owner", nonOwnerStarted, {
    ok: loggedOut,
    requests: 1,
    acknowledged: logout.status === 200 ? 1 : 0,
    serverErrors: logout.status >= 500 ? 1 : 0,
    measure: `${logout.status} ${String(logout.body?.["status"])}; device unlinked on the fake: ${!target.device.linked}`,
    failures: loggedOut ? [] : [`${logout.status} ${JSON.stringify(logout.body)}`]
  }))

  if (plan.throughput && STEPS.has("throughput")) {
    const readStarted = performance.now()
    const ids = paired.map((p) => p.sessionId)
    const live = runners.filter((r) => r.alive())
    const one = await getThroughput(token, live.slice(0, 1), ids, 5_000, 32)
    const three = await getThroughput(token, live, ids, 5_000, 32)
    results.push(step("GET /sessions/{id}: 1 vs 3 processes", readStarted, {
      ok: one.failed === 0 && three.failed === 0,
      requests: Math.round((one.perSecond + three.perSecond) * 5),
      serverErrors: one.failed + three.failed,
      measure: `${one.perSecond.toFixed(0)} req/s through 1, ${three.perSecond.toFixed(0)} req/s round-robin over ${live.length}: ${(three.perSecond / one.perSecond).toFixed(2)}× (32 clients, one 2-core machine shared with the client)`
    }))
  }

  // The paused process's sockets, replaced while it slept, are counted in its own step.
  const doubles = fake.devices.flatMap((d) =>
    d.overlaps.filter((o) => pausedWindow === undefined || o.at < pausedWindow.from || o.at > pausedWindow.to).map(() => d.jid))
  results.push(step("at most one connection per device", started, {
    ok: doubles.length === 0,
    requests: fake.connections.total,
    measure: `${fake.connections.total} connections recorded, ${doubles.length} double connection(s)${pausedWindow === undefined ? "" : " outside the zombie's pause"}`,
    failures: doubles.map((jid) => `${jid} had two sockets at once`)
  }))

  const ok = results.every((r) => r.ok)
  printTable(`Cluster drill${quick ? " (--quick)" : ""}: ${ok ? "passed" : "FAILED"}`, results)
  const totalMs = performance.now() - started
  console.log(`- total ${seconds(totalMs)}`)
  const file = writeResults(name, { ok, quick, plan, totalMs }, results)
  console.log(`\nresults: ${file}`)
  for (const runner of runners) runner.signal("SIGTERM")
  await Promise.all(runners.map((r) => r.exited(20_000)))
  await proxy.close()
  await fake.close()
  return ok ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`the cluster drill could not run: ${error instanceof Error ? error.stack ?? error.message : String(error)}`)
    process.exit(1)
  }
)
