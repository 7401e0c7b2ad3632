// Mixed load for minutes (lifecycles, reads, malformed requests) on a fresh
// process, with its RSS and heap (after a full GC) sampled every 10 s; after a
// warm-up, the heap's slope must stay under a bound.
import fc from "fast-check"
import { callApi } from "./answers.js"
import { seriousLines } from "./client-errors-in-log.js"
import { makeLedger } from "./ledger.js"
import { runLifecycles } from "./lifecycle.js"
import { checkLog } from "./log-check.js"
import { malformedRequestArb } from "./malformed-requests.js"
import { rawExchange } from "./raw-socket.js"
import type { MemorySample } from "./server-process.js"
import { type DrillContext, sleep, type StepResult } from "./step.js"
import { count, emptyTally, merge } from "./tally.js"

export interface SoakPlan {
  readonly durationMs: number
  readonly sampleEveryMs: number
  readonly lifecycleClients: number
  /** The slope is taken over the samples after this (caches, JIT and pools fill first). */
  readonly warmUpMs: number
  /** Fail when the heap grows faster than this (least-squares slope over the samples after the warm-up). */
  readonly heapSlopeLimitMbPerMin: number
  readonly seed: number
}

const MB = 1024 * 1024

/** Least-squares slope of y over x. */
const slope = (points: ReadonlyArray<readonly [number, number]>): number => {
  const n = points.length
  if (n < 2) return 0
  const mx = points.reduce((s, [x]) => s + x, 0) / n
  const my = points.reduce((s, [, y]) => s + y, 0) / n
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0)
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0)
  return sxx === 0 ? 0 : sxy / sxx
}

export const soak = async (
  context: DrillContext,
  targets: { readonly read: string; readonly malformed: string },
  plan: SoakPlan
): Promise<StepResult> => {
  const started = performance.now()
  const { server, token } = context
  const logFrom = server.logSince(0).end
  const ledger = makeLedger()
  const lifecycleTally = emptyTally()
  const readTally = emptyTally()
  const malformedTally = emptyTally()
  let going = true
  const lifecycles = Array.from({ length: plan.lifecycleClients }, (_, client) =>
    runLifecycles({ baseUrl: server.baseUrl, token, ledger, tally: lifecycleTally, keepGoing: () => going, deleteRatio: 1, client: 50 + client }))
  const reader = (async () => {
    while (going) {
      count(readTally, await callApi(server.baseUrl, "GET", "/api/v1/sessions?pageSize=20", { token }), "GET /api/v1/sessions")
      count(readTally, await callApi(server.baseUrl, "GET", `/api/v1/sessions/${targets.read}`, { token }), "GET /api/v1/sessions/{session}")
      count(readTally, await callApi(server.baseUrl, "GET", `/api/v1/sessions/${targets.read}/events`, { token }), "GET /api/v1/sessions/{session}/events")
      await sleep(20)
    }
  })()
  const malformed = (async () => {
    const arbitrary = malformedRequestArb({ apiKey: token, sessionId: targets.malformed, port: context.port })
    for (let batch = 0; going; batch++) {
      for (const request of fc.sample(arbitrary, { numRuns: 100, seed: plan.seed + batch })) {
        if (!going) break
        const answer = await rawExchange(context.port, request.bytes, { waitMs: 10_000 })
        const what = `${request.method} ${request.path.slice(0, 120)} (${JSON.stringify(request.bytes.subarray(0, 400).toString("latin1"))})`
        count(malformedTally, answer, what, { bodiless: request.method === "HEAD" })
        await sleep(10)
      }
    }
  })()
  const samples: Array<MemorySample & { readonly atMs: number }> = []
  const sample = async () => samples.push({ atMs: performance.now() - started, ...(await server.memory()) })
  await sample()
  while (performance.now() - started < plan.durationMs) {
    await sleep(Math.min(plan.sampleEveryMs, plan.durationMs - (performance.now() - started)))
    if (!server.alive()) break
    await sample()
  }
  going = false
  await Promise.all([...lifecycles, reader, malformed])
  const check = await checkLog(context.cluster.url, ledger)
  const serious = seriousLines(server.logSince(logFrom).lines)
  const tally = merge([lifecycleTally, readTally, malformedTally])
  const minutes = (atMs: number) => atMs / 60_000
  const loaded = samples.filter((s) => s.atMs >= plan.warmUpMs)
  const heapSlope = slope(loaded.map((s) => [minutes(s.atMs), s.heapUsed / MB] as const))
  const rssSlope = slope(loaded.map((s) => [minutes(s.atMs), s.rss / MB] as const))
  const first = samples[0]
  const last = samples.at(-1)
  const failures = [
    ...(server.alive() ? [] : ["the gateway process died"]),
    ...(heapSlope > plan.heapSlopeLimitMbPerMin ? [`heap grows ${heapSlope.toFixed(2)} MB/min (limit ${plan.heapSlopeLimitMbPerMin})`] : []),
    ...(check.lost > 0 ? [`${check.lost} acknowledged change(s) not in the log`] : []),
    ...(check.gaps > 0 || check.readModelMismatches > 0 ? [`${check.gaps} gaps, ${check.readModelMismatches} read-model diffs`] : []),
    ...(tally.serverErrors + tally.unavailable > 0 ? [`${tally.serverErrors + tally.unavailable} 5xx`] : []),
    ...(tally.outsideEnvelope > 0 ? [`${tally.outsideEnvelope} error(s) outside the envelope`] : []),
    ...(tally.unanswered > 0 ? [`${tally.unanswered} request(s) without an answer`] : []),
    ...(serious.length > 0 ? [`${serious.length} ERROR line(s) in the log`, ...serious.slice(0, 3).map((line) => line.slice(0, 300))] : []),
    ...check.examples,
    ...tally.examples
  ]
  const mb = (bytes: number | undefined) => (bytes === undefined ? "?" : (bytes / MB).toFixed(1))
  return {
    step: `soak ${Math.round(plan.durationMs / 1000)} s of mixed load`,
    ok: failures.length === 0,
    durationMs: performance.now() - started,
    requests: tally.requests,
    acknowledged: tally.acknowledged,
    lost: check.lost,
    serverErrors: tally.serverErrors + tally.unavailable,
    measure: `heap ${mb(first?.heapUsed)}→${mb(last?.heapUsed)} MB (${heapSlope >= 0 ? "+" : ""}${heapSlope.toFixed(2)} MB/min), ` +
      `RSS ${mb(first?.rss)}→${mb(last?.rss)} MB (${rssSlope >= 0 ? "+" : ""}${rssSlope.toFixed(2)} MB/min)`,
    failures,
    details: { heapSlopeMbPerMin: heapSlope, rssSlopeMbPerMin: rssSlope, warmUpMs: plan.warmUpMs, samples, statuses: tally.statuses, log: check }
  }
}
