// `npm run drill [-- --quick]`: the reliability drill of issue 6 against a real
// server process on a PostgreSQL cluster of its own. Prints a table, writes
// bench/results/drill[-quick].json, exits 1 on any loss, 5xx or failed check.
// Needs a built tree (`npm run build`); loopback only; bounded in time; the
// cluster and the server are removed on every way out (Ctrl-C included).
import { copyFileSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { callApi, stringField } from "./answers.js"
import { type Cluster, createCluster } from "./cluster.js"
import { fuzz } from "./fuzz.js"
import { killAndRestart } from "./kill-restart.js"
import { freePort } from "./ports.js"
import { rawSocketCases } from "./raw-cases.js"
import { printTable, writeResults } from "./report.js"
import { createApiKey, type ServerProcess, serverProcess } from "./server-process.js"
import { slowConnections } from "./slow-connections.js"
import { soak } from "./soak.js"
import type { DrillContext, StepResult } from "./step.js"
import { storeOutage } from "./store-outage.js"

// `npm run drill -- cluster [--quick]` is issue 14's cluster drill, a program of its own: it exits
// the process itself, so this one waits for that instead of running the single-process drill.
if (process.argv.includes("cluster")) {
  await import("./cluster/run.js")
  await new Promise<never>(() => undefined)
}

const quick = process.argv.includes("--quick")
const seed = Number(process.env["DRILL_SEED"] ?? Date.now() % 1_000_000)

// The numbers; --quick (CI) scales counts and times down to stay under 3 minutes.
const plan = quick
  ? {
    deadlineMs: 175_000,
    kill: { clients: 8, beforeKillMs: 6_000, afterRestartMs: 3_000 },
    outage: { writers: 40, beforeStopMs: 2_000, outageMs: 5_000, afterStartMs: 2_000, recoveryLimitMs: 2_000 },
    fuzz: { requests: 2_000, concurrency: 8, seed },
    // A few hundred probes in CI, judged at p95: one GC pause on a busy CI machine is not starvation.
    slow: { connections: 200, holdMs: 5_000, probeEveryMs: 20, latencyPercentile: 95, latencyLimitMs: 50 },
    soak: { durationMs: 60_000, sampleEveryMs: 10_000, lifecycleClients: 4, warmUpMs: 20_000, heapSlopeLimitMbPerMin: 5, seed }
  }
  : {
    deadlineMs: 25 * 60_000,
    kill: { clients: 8, beforeKillMs: 30_000, afterRestartMs: 10_000 },
    outage: { writers: 40, beforeStopMs: 3_000, outageMs: 10_000, afterStartMs: 3_000, recoveryLimitMs: 2_000 },
    fuzz: { requests: 10_000, concurrency: 8, seed },
    slow: { connections: 200, holdMs: 10_000, probeEveryMs: 50, latencyPercentile: 99, latencyLimitMs: 50 },
    soak: { durationMs: 10 * 60_000, sampleEveryMs: 10_000, lifecycleClients: 4, warmUpMs: 60_000, heapSlopeLimitMbPerMin: 1, seed }
  }

const resultsDir = fileURLToPath(new URL("../results", import.meta.url))
const name = quick ? "drill-quick" : "drill"

let cluster: Cluster | undefined
let server: ServerProcess | undefined

/** Synchronous, so it also runs from the `exit` event: nothing of the drill outlives it. */
const cleanUp = () => {
  server?.forceKill()
  server = undefined
  if (cluster !== undefined) {
    const removing = cluster
    cluster = undefined
    try {
      removing.remove()
    } catch (error) {
      console.error(`could not remove the drill's cluster in ${removing.dir}: ${String(error)}`)
    }
  }
}
process.on("exit", cleanUp)
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping the drill`)
    process.exit(130)
  })
}
setTimeout(() => {
  console.error(`the drill ran over its ${plan.deadlineMs / 1000} s bound`)
  process.exit(1)
}, plan.deadlineMs).unref()

/** A paired session for the steps that need one to read and to aim at. */
const pairedSession = async (baseUrl: string, token: string): Promise<string> => {
  const created = await callApi(baseUrl, "POST", "/api/v1/sessions", { token, body: { name: "drill target" } })
  const sessionId = stringField(created.body, "sessionId")
  if (sessionId === undefined) throw new Error(`could not create a session: ${created.status}`)
  await callApi(baseUrl, "GET", `/api/v1/sessions/${sessionId}/qr`, { token })
  await callApi(baseUrl, "POST", `/simulator/v1/sessions/${sessionId}:scan`, { token, body: { phoneNumber: "628100000001", pushName: "Target" } })
  return sessionId
}

const main = async (): Promise<number> => {
  const started = performance.now()
  const results: Array<StepResult> = []
  const pgPort = await freePort(20_000, 30_000)
  const httpPort = await freePort(30_000, 32_000)
  console.log(`drill${quick ? " --quick" : ""}: seed ${seed}, PostgreSQL on 127.0.0.1:${pgPort}, gateway on 127.0.0.1:${httpPort}`)
  cluster = createCluster(pgPort)
  await cluster.start()
  const token = createApiKey(cluster.url, "drill")
  server = serverProcess({ port: httpPort, databaseUrl: cluster.url, logDir: cluster.dir })
  await server.start()
  const context: DrillContext = { cluster, server, token, port: httpPort }
  // The generated requests may delete their target; the probes read one of their own.
  const fuzzTarget = await pairedSession(server.baseUrl, token)
  const probeTarget = await pairedSession(server.baseUrl, token)
  const shutdowns: Array<{ readonly when: string; readonly clean: boolean }> = []

  const steps: ReadonlyArray<[string, () => Promise<StepResult>]> = [
    ["kill -9", () => killAndRestart(context, plan.kill)],
    ["outage fast", () => storeOutage(context, "fast", plan.outage)],
    ["outage immediate", () => storeOutage(context, "immediate", plan.outage)],
    ["fuzz", () => fuzz(context, fuzzTarget, plan.fuzz)],
    ["raw sockets", () => rawSocketCases(context, probeTarget)],
    ["slow connections", () => slowConnections(context, probeTarget, plan.slow)],
    ["soak", async () => {
      // A fresh process (SIGTERM, then start): the soak's heap is the soak's own, not what earlier steps left.
      shutdowns.push({ when: "before the soak", clean: await context.server.stop() })
      await context.server.start()
      return soak(context, { read: probeTarget, malformed: fuzzTarget }, plan.soak)
    }]
  ]
  for (const [label, step] of steps) {
    process.stdout.write(`- ${label}… `)
    const result = await step()
    results.push(result)
    console.log(`${result.ok ? "ok" : "FAILED"} (${(result.durationMs / 1000).toFixed(1)} s)`)
    if (!server.alive()) {
      console.log("the gateway is down: the remaining steps are skipped")
      break
    }
  }
  shutdowns.push({ when: "at the end", clean: await server.stop() })
  const cleanShutdown = shutdowns.every((shutdown) => shutdown.clean)
  const unexpectedExits = server.unexpectedExits()
  mkdirSync(resultsDir, { recursive: true })
  copyFileSync(server.logFile, join(resultsDir, `${name}-gateway.log`))

  const ok = results.length === steps.length && results.every((r) => r.ok) && cleanShutdown && unexpectedExits.length === 0
  printTable(`Reliability drill${quick ? " (--quick)" : ""}: ${ok ? "passed" : "FAILED"}`, results)
  for (const { when, clean } of shutdowns) console.log(`- SIGTERM ${when}: ${clean ? "drained and exited 0" : "did NOT exit cleanly"}`)
  if (unexpectedExits.length > 0) console.log(`- the gateway ${unexpectedExits.join("; ")} without being told to`)
  const totalMs = performance.now() - started
  console.log(`- total ${(totalMs / 1000).toFixed(1)} s`)
  const file = writeResults(name, { ok, quick, seed, plan, totalMs, shutdowns, unexpectedExits }, results)
  console.log(`\nresults: ${file}; the gateway's log beside it`)
  return ok ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`the drill could not run: ${error instanceof Error ? error.stack ?? error.message : String(error)}`)
    process.exit(1)
  }
)
