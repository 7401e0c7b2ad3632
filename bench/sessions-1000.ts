// DESIGN §6: 1,000 simulated paired sessions in one process. Reports the heap
// each costs (after a full GC) on the memory store and on PostgreSQL: the
// growth from the first 10% to all sessions, so one-off costs (pool
// connections, JIT) are not counted per session; the empty gateway's heap is
// the baseline. On PostgreSQL also the time a new gateway on the same database
// takes until every session is connected again.
import { runInNewContext } from "node:vm"
import { setFlagsFromString } from "node:v8"
import { Gateway, SimulatedPhoneGateway, type SimulatorGatewayServices, simulatorGatewayLayer, type StoreOptions } from "@wa-gateway/adapters"
import { OrgId, SessionEngine, type SessionId } from "@wa-gateway/domain"
import { Effect, Layer, Logger, LogLevel, ManagedRuntime } from "effect"
import { type Bench, runIfMain } from "./results.js"
import { type BenchLine, benchDatabaseUrl } from "./support.js"

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 1_000)
const CONCURRENCY = 16
const org = OrgId.make("bench")

// `npm run bench` runs under tsx without --expose-gc; V8 can still hand out its gc function.
setFlagsFromString("--expose-gc")
const exposedGc: unknown = runInNewContext("gc")
const gc = (): void => {
  if (typeof exposedGc !== "function") throw new Error("V8 did not expose gc")
  exposedGc()
}

/** Heap in use after full collections (a few rounds, so finalizers and weak maps settle). */
const settledHeap = async (): Promise<number> => {
  for (let i = 0; i < 4; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return process.memoryUsage().heapUsed
}

const gatewayRuntime = (store: StoreOptions) =>
  ManagedRuntime.make(
    simulatorGatewayLayer({ store }).pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Warning)))
  )

/** Creates, shows a QR for and scans sessions `from` until `to`: all end `paired` and connected. */
const pairAll = (runtime: ManagedRuntime.ManagedRuntime<SimulatorGatewayServices, unknown>, from: number, to: number) =>
  runtime.runPromise(Effect.gen(function* () {
    const gateway = yield* Gateway
    const phone = yield* SimulatedPhoneGateway
    return yield* Effect.forEach(
      Array.from({ length: to - from }, (_, k) => from + k),
      (i) =>
        Effect.gen(function* () {
          const { sessionId } = yield* gateway.create(org, { name: `bench-${i}` })
          yield* gateway.qr(org, sessionId)
          const paired = yield* phone.scan(org, sessionId, { phoneNumber: `6281${String(i).padStart(8, "0")}` })
          if (paired.status !== "paired" || !paired.connected) return yield* Effect.dieMessage(`${sessionId} did not pair`)
          return sessionId
        }),
      { concurrency: CONCURRENCY }
    )
  }))

/** Resolves once the engine reports every session connected. */
const allConnected = (runtime: ManagedRuntime.ManagedRuntime<SimulatorGatewayServices, unknown>, ids: ReadonlyArray<SessionId>) =>
  runtime.runPromise(Effect.gen(function* () {
    const engine = yield* SessionEngine
    while (true) {
      const states = yield* Effect.forEach(ids, engine.isConnected)
      if (states.every(Boolean)) return
      yield* Effect.sleep("5 millis")
    }
  }))

const heapPerSession = async (name: string, store: StoreOptions) => {
  const runtime = gatewayRuntime(store)
  await runtime.runPromise(Effect.void)
  const empty = await settledHeap()
  const started = performance.now()
  const first = await pairAll(runtime, 0, Math.floor(SESSIONS / 10))
  const tenth = await settledHeap()
  const rest = await pairAll(runtime, Math.floor(SESSIONS / 10), SESSIONS)
  const pairedIn = performance.now() - started
  const full = await settledHeap()
  const ids = [...first, ...rest]
  const figures = { emptyHeapBytes: empty, fullHeapBytes: full, heapPerSessionBytes: (full - tenth) / rest.length, pairingSeconds: pairedIn / 1000 }
  return { runtime, ids, figures, lines: [
    { name: `${name}: empty gateway heap (baseline)`, value: `${(empty / 2 ** 20).toFixed(1)} MiB` },
    { name: `${name}: heap with ${ids.length} paired sessions`, value: `${(full / 2 ** 20).toFixed(1)} MiB` },
    { name: `${name}: heap per session (growth from ${first.length} to ${ids.length})`, value: `${((full - tenth) / rest.length / 1024).toFixed(1)} KiB` },
    { name: `${name}: creating and pairing ${ids.length} sessions (${CONCURRENCY} at a time)`, value: `${(pairedIn / 1000).toFixed(2)} s` }
  ] satisfies Array<BenchLine> }
}

const run = async () => {
  const memory = await heapPerSession("memory store", { _tag: "memory" })
  await memory.runtime.dispose()

  const url = await benchDatabaseUrl("wa_bench_sessions")
  const postgres = await heapPerSession("PostgreSQL", { _tag: "postgres", url })
  await postgres.runtime.dispose()

  // A restart: a new gateway on the same database resumes every paired session.
  const started = performance.now()
  const rebooted = gatewayRuntime({ _tag: "postgres", url })
  await allConnected(rebooted, postgres.ids)
  const resumedIn = performance.now() - started
  await rebooted.dispose()

  return {
    lines: [
      ...memory.lines,
      ...postgres.lines,
      { name: `PostgreSQL: boot until all ${postgres.ids.length} sessions are connected again`, value: `${(resumedIn / 1000).toFixed(2)} s` }
    ],
    figures: { memory: memory.figures, postgres: postgres.figures, resumeSeconds: resumedIn / 1000 },
    settings: { sessions: SESSIONS, concurrency: CONCURRENCY }
  }
}

export const sessions1000: Bench = {
  name: "sessions-1000",
  title: `${SESSIONS} simulated paired sessions in one process (DESIGN §6)`,
  run
}

await runIfMain(import.meta.url, sessions1000)
