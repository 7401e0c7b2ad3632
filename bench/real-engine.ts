// Issue 9 item 5: the real Baileys engine at scale. One gateway process on
// PostgreSQL pairs BENCH_SESSIONS (500) sessions by QR against the fake
// WhatsApp (run in this process, so it outlives the gateway), is restarted
// (SIGTERM), and resumes them all. Reports heap (after a full GC) and RSS per
// connected session, the time until every session is connected again, and
// the gateway's CPU time per idle session per minute (from /proc/<pid>/stat
// over a quiet BENCH_IDLE_SECONDS, default 60). The gateway runs with its
// defaults (LOG_LEVEL warn; WA_RESUME_CONCURRENCY 8, or BENCH_RESUME_CONCURRENCY);
// its log goes to a file.
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { closeSync, openSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { createServer } from "node:net"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { type FakeDevice, type FakeWhatsApp, startFakeWhatsApp } from "@wa-gateway/testkit/fake-whatsapp"
import { type Bench, type BenchOutcome, runIfMain } from "./results.js"
import { type BenchLine, benchDatabaseUrl } from "./support.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const memoryProbe = fileURLToPath(new URL("./drill/memory-probe.mjs", import.meta.url))
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 500)
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60)
/** The gateway's WA_RESUME_CONCURRENCY: how many sessions log in at once after the restart. */
const RESUME_CONCURRENCY = Number(process.env.BENCH_RESUME_CONCURRENCY ?? 8)
/** Sessions paired at once (create, /qr, the phone scans). */
const PAIRING_CONCURRENCY = 16
/** Clock ticks per second of /proc/<pid>/stat's utime and stime. */
const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim())

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const until = async <A>(what: string, check: () => Promise<A | undefined>, timeoutMs: number, intervalMs = 250): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const answer = await check()
    if (answer !== undefined) return answer
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`)
    await sleep(intervalMs)
  }
}

interface Gateway {
  readonly child: ChildProcess
  readonly spawnedAt: number
  readonly logFile: string
  readonly baseUrl: string
}

/** A port nothing listens on now: a fixed one may be another developer's load test's target on a shared machine. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })

const keyDir = join(tmpdir(), `wa-bench-real-engine-${process.pid}`)

const startGateway = async (fake: FakeWhatsApp, databaseUrl: string, logFile: string): Promise<Gateway> => {
  const port = await freePort()
  const baseUrl = `http://127.0.0.1:${port}`
  const log = openSync(logFile, "a")
  const spawnedAt = performance.now()
  const child = spawn(process.execPath, ["--expose-gc", "--import", memoryProbe, "packages/http/dist/main.js"], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      DATABASE_URL: databaseUrl,
      HOST: "127.0.0.1",
      PORT: String(port),
      WA_ENGINE: "baileys",
      WA_SERVER_URL: fake.url,
      WA_SERVER_CERT_ROOT: fake.certRoot,
      LOG_LEVEL: "warn",
      // The first start writes its API key here (never to the log).
      DATA_DIR: keyDir,
      WA_RESUME_CONCURRENCY: String(RESUME_CONCURRENCY)
    },
    stdio: ["ignore", log, log, "ipc"]
  })
  closeSync(log)
  await until("the gateway answers /healthz", async () => {
    if (child.exitCode !== null) throw new Error(`the gateway exited at start; see ${logFile}`)
    return (await fetch(`${baseUrl}/healthz`).then((r) => r.ok, () => false)) ? true : undefined
  }, 60_000, 50)
  return { child, spawnedAt, logFile, baseUrl }
}

const stopGateway = (gateway: Gateway) =>
  new Promise<number | null>((resolve) => {
    if (gateway.child.exitCode !== null) return resolve(gateway.child.exitCode)
    const force = setTimeout(() => gateway.child.kill("SIGKILL"), 60_000)
    gateway.child.once("exit", (code) => {
      clearTimeout(force)
      resolve(code)
    })
    gateway.child.kill("SIGTERM")
  })

interface Memory {
  readonly heapUsed: number
  readonly rss: number
}

/** Heap after a full collection, and RSS, from inside the gateway (bench/drill/memory-probe.mjs over IPC). */
const memoryOf = (gateway: Gateway) =>
  new Promise<Memory>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no memory sample within 30 s")), 30_000)
    const onMessage = (message: unknown) => {
      if (typeof message !== "object" || message === null || !("rss" in message) || !("heapUsed" in message)) return
      clearTimeout(timer)
      gateway.child.off("message", onMessage)
      resolve({ heapUsed: Number(message.heapUsed), rss: Number(message.rss) })
    }
    gateway.child.on("message", onMessage)
    gateway.child.send("memory")
  })

/** The process's CPU time so far (user + system), in milliseconds. */
const cpuMillisOf = (gateway: Gateway): number => {
  const stat = readFileSync(`/proc/${gateway.child.pid}/stat`, "utf8")
  // fields after the command name (which may hold spaces) start at state: utime and stime are fields 14 and 15
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
}

const api = (gateway: Gateway, key: string) => async <A>(method: string, path: string, body?: unknown): Promise<A> => {
  const response = await fetch(`${gateway.baseUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`)
  return (await response.json()) as A
}

type Call = ReturnType<typeof api>

/** How many of the org's sessions are connected now (every page of the list). */
const connectedCount = async (call: Call): Promise<number> => {
  let connected = 0
  let pageToken: string | null = null
  do {
    const page: { sessions: ReadonlyArray<{ connected: boolean }>; nextPageToken: string | null } =
      await call("GET", `/sessions?pageSize=100${pageToken === null ? "" : `&pageToken=${encodeURIComponent(pageToken)}`}`)
    connected += page.sessions.filter((s) => s.connected).length
    pageToken = page.nextPageToken
  } while (pageToken !== null)
  return connected
}

const allConnected = (call: Call, what: string) =>
  until(what, async () => ((await connectedCount(call)) === SESSIONS ? true : undefined), 15 * 60_000)

/** Creates, shows the QR of and scans sessions `from` until `to`, `PAIRING_CONCURRENCY` at a time. */
const pairRange = async (call: Call, fake: FakeWhatsApp, from: number, to: number, devices: Array<FakeDevice>) => {
  let next = from
  await Promise.all(Array.from({ length: PAIRING_CONCURRENCY }, async () => {
    while (next < to) {
      const i = next++
      const { sessionId } = await call<{ sessionId: string }>("POST", "/sessions", { name: `bench ${i}` })
      const { qr } = await call<{ qr: string }>("GET", `/sessions/${sessionId}/qr`)
      devices.push(await fake.phone.scan(qr, { phoneNumber: `6285${String(i).padStart(8, "0")}` }))
    }
  }))
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`

const runRealEngine = async (): Promise<BenchOutcome> => {
  const databaseUrl = await benchDatabaseUrl("wa_bench_real_engine")
  const logFile = join(tmpdir(), `wa-bench-real-engine-${process.pid}.log`)
  // Many refs: a QR must never run out while 16 pairings share a loaded machine.
  const fake = await startFakeWhatsApp({ closeGraceMs: 2_000, timeoutMs: 60_000 })
  const gateways: Array<Gateway> = []
  try {
    const first = await startGateway(fake, databaseUrl, logFile)
    gateways.push(first)
    const key = /^wag_[A-Za-z0-9_-]{43}$/m.exec(readFileSync(join(keyDir, "first-api-key"), "utf8"))?.[0]
    if (key === undefined) throw new Error(`no first-start API key in ${keyDir}; see ${logFile}`)
    const call = api(first, key)
    await sleep(2_000)
    const empty = await memoryOf(first)

    const devices: Array<FakeDevice> = []
    const pairingStarted = performance.now()
    const tenth = Math.max(1, Math.floor(SESSIONS / 10))
    await pairRange(call, fake, 0, tenth, devices)
    await allConnectedCount(call, tenth)
    const atTenth = await memoryOf(first)
    await pairRange(call, fake, tenth, SESSIONS, devices)
    await allConnected(call, `all ${SESSIONS} paired and connected`)
    const pairedIn = performance.now() - pairingStarted
    await Promise.all(devices.map((d) => d.waitForLogin({ timeoutMs: 60_000 })))
    const paired = await memoryOf(first)

    const stoppedAt = performance.now()
    const exitCode = await stopGateway(first)
    const stoppedIn = performance.now() - stoppedAt
    if (exitCode !== 0) throw new Error(`the gateway exited with ${exitCode} on SIGTERM`)
    const totalBeforeRestart = fake.connections.total

    const second = await startGateway(fake, databaseUrl, logFile)
    gateways.push(second)
    const healthyIn = performance.now() - second.spawnedAt
    const callSecond = api(second, key)
    await allConnected(callSecond, `all ${SESSIONS} connected again after the restart`)
    const resumedIn = performance.now() - second.spawnedAt
    const cpuUntilResumed = cpuMillisOf(second)
    await Promise.all(devices.map((d) => d.waitForLogin({ count: 2, timeoutMs: 60_000 })))
    const newSockets = fake.connections.total - totalBeforeRestart
    if (newSockets !== SESSIONS) throw new Error(`the restart opened ${newSockets} sockets for ${SESSIONS} sessions`)
    fake.assertAtMostOneConnection()
    const resumed = await memoryOf(second)

    // A quiet stretch: every session connected, no requests but one count at the end (keep-alives only).
    await sleep(5_000)
    const cpuBefore = cpuMillisOf(second)
    const idleStarted = performance.now()
    await sleep(IDLE_SECONDS * 1000)
    const cpuIdle = cpuMillisOf(second) - cpuBefore
    const idleMinutes = (performance.now() - idleStarted) / 60_000
    const stillConnected = await connectedCount(callSecond)
    const idleCpuPerSessionPerMinute = cpuIdle / SESSIONS / idleMinutes

    const perSession = (at: Memory, field: keyof Memory) => (at[field] - empty[field]) / SESSIONS
    const figures = {
      sessions: SESSIONS,
      emptyGateway: empty,
      atTenth: { sessions: tenth, ...atTenth },
      paired,
      pairedInMs: Math.round(pairedIn),
      heapPerSessionGrowthFromTenthBytes: Math.round((paired.heapUsed - atTenth.heapUsed) / (SESSIONS - tenth)),
      stoppedInMs: Math.round(stoppedIn),
      restart: {
        healthyInMs: Math.round(healthyIn),
        allConnectedInMs: Math.round(resumedIn),
        cpuUntilAllConnectedMs: Math.round(cpuUntilResumed),
        newSockets,
        memory: resumed
      },
      idle: {
        seconds: Math.round(idleMinutes * 60),
        cpuMs: Math.round(cpuIdle),
        cpuMsPerSessionPerMinute: Number(idleCpuPerSessionPerMinute.toFixed(3)),
        connectedAtEnd: stillConnected
      }
    }
    const lines: Array<BenchLine> = [
      { name: "empty gateway (baseline): heap / RSS", value: `${mib(empty.heapUsed)} / ${mib(empty.rss)}` },
      { name: `pairing ${SESSIONS} sessions by QR (${PAIRING_CONCURRENCY} at a time) until all connected`, value: seconds(pairedIn) },
      { name: `${SESSIONS} paired and connected: heap / RSS`, value: `${mib(paired.heapUsed)} / ${mib(paired.rss)}` },
      { name: "per connected session after pairing: heap / RSS (over the empty gateway)", value: `${kib(perSession(paired, "heapUsed"))} / ${kib(perSession(paired, "rss"))}` },
      { name: `per session, heap growth from ${tenth} to ${SESSIONS} sessions`, value: kib(figures.heapPerSessionGrowthFromTenthBytes) },
      { name: `SIGTERM with ${SESSIONS} sockets open until exit`, value: seconds(stoppedIn) },
      { name: "restart: spawn until /healthz answers", value: seconds(healthyIn) },
      { name: `restart: spawn until all ${SESSIONS} are connected again (WA_RESUME_CONCURRENCY ${RESUME_CONCURRENCY})`, value: seconds(resumedIn) },
      { name: "restart: gateway CPU time until then", value: seconds(cpuUntilResumed) },
      { name: `${SESSIONS} resumed and connected: heap / RSS`, value: `${mib(resumed.heapUsed)} / ${mib(resumed.rss)}` },
      { name: "per connected session after the restart: heap / RSS (over the empty gateway)", value: `${kib(perSession(resumed, "heapUsed"))} / ${kib(perSession(resumed, "rss"))}` },
      { name: `idle: gateway CPU per session per minute (over ${figures.idle.seconds} s, ${stillConnected} connected at the end)`, value: `${idleCpuPerSessionPerMinute.toFixed(2)} ms` }
    ]
    return { lines, figures, settings: { sessions: SESSIONS, idleSeconds: IDLE_SECONDS, pairingConcurrency: PAIRING_CONCURRENCY, resumeConcurrency: RESUME_CONCURRENCY, logLevel: "warn", logFile } }
  } finally {
    await Promise.all(gateways.map(stopGateway))
    await fake.close()
    rmSync(keyDir, { recursive: true, force: true })
  }
}

/** Waits until `count` sessions are connected. */
const allConnectedCount = (call: Call, count: number) =>
  until(`${count} sessions connected`, async () => ((await connectedCount(call)) >= count ? true : undefined), 10 * 60_000)

const TITLE = `${SESSIONS} sessions of the real Baileys engine against the fake WhatsApp in one gateway process (PostgreSQL)`

/** Pairs, restarts and measures real Baileys sessions against the fake WhatsApp; `BENCH_SESSIONS` scales it down. */
export const realEngine: Bench = { name: "real-engine", title: TITLE, run: runRealEngine }

await runIfMain(import.meta.url, realEngine)
