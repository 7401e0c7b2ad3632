// kill -9 while 8 clients run whole lifecycles, restart, and check the log:
// every acknowledged change is in it, histories are contiguous, and the read
// model equals a replay of the log.
import { makeLedger } from "./ledger.js"
import { runLifecycles } from "./lifecycle.js"
import { checkLog } from "./log-check.js"
import { type DrillContext, sleep, type StepResult } from "./step.js"
import { emptyTally } from "./tally.js"

export interface KillRestartPlan {
  readonly clients: number
  /** Load before the kill… */
  readonly beforeKillMs: number
  /** …and after the restart, on the same clients. */
  readonly afterRestartMs: number
}

export const killAndRestart = async (context: DrillContext, plan: KillRestartPlan): Promise<StepResult> => {
  const started = performance.now()
  const { server } = context
  const ledger = makeLedger()
  const tally = emptyTally()
  let going = true
  const clients = Array.from({ length: plan.clients }, (_, client) =>
    runLifecycles({ baseUrl: server.baseUrl, token: context.token, ledger, tally, keepGoing: () => going, deleteRatio: 0.5, client }))
  await sleep(plan.beforeKillMs)
  const acknowledgedBeforeKill = tally.acknowledged
  await server.kill9()
  const restartMs = await server.start()
  await sleep(plan.afterRestartMs)
  going = false
  await Promise.all(clients)
  const check = await checkLog(context.cluster.url, ledger)
  // Requests in flight at the kill and while it restarts get no answer: expected, not counted as failures.
  const problems = [
    ...(check.lost > 0 ? [`${check.lost} acknowledged change(s) not in the log`] : []),
    ...(check.gaps > 0 ? [`${check.gaps} stream(s) with a gap`] : []),
    ...(check.readModelMismatches > 0 ? [`${check.readModelMismatches} read-model row(s) unlike a replay of the log`] : []),
    ...(tally.serverErrors > 0 ? [`${tally.serverErrors} 5xx`] : []),
    ...(tally.unavailable > 0 ? [`${tally.unavailable} 503 with the store up`] : []),
    ...(tally.outsideEnvelope > 0 ? [`${tally.outsideEnvelope} error(s) outside the envelope`] : []),
    ...(acknowledgedBeforeKill === 0 ? ["nothing was acknowledged before the kill"] : [])
  ]
  const failures = problems.length === 0 ? [] : [...problems, ...check.examples, ...tally.examples.filter((e) => !e.includes("no answer"))]
  return {
    step: `kill -9 under ${plan.clients} lifecycle clients`,
    ok: failures.length === 0,
    durationMs: performance.now() - started,
    requests: tally.requests,
    acknowledged: tally.acknowledged,
    lost: check.lost,
    serverErrors: tally.serverErrors + tally.unavailable,
    measure: `restart ${Math.round(restartMs)} ms; ${check.streams} streams, ${check.events} events, ${check.gaps} gaps, ${check.readModelMismatches} read-model diffs`,
    failures,
    details: { acknowledgedBeforeKill, restartMs, unanswered: tally.unanswered, statuses: tally.statuses, log: check }
  }
}
