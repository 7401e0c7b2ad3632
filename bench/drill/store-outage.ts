// PostgreSQL stopped (fast, then immediate) for a while under a burst of
// concurrent writers: meanwhile only 503 `unavailable` in the envelope, the
// process stays up, the first 2xx comes soon after PostgreSQL is back, and
// nothing acknowledged is lost.
import pg from "pg"
import { callApi, envelopeCode, stringField } from "./answers.js"
import { makeLedger } from "./ledger.js"
import { checkLog } from "./log-check.js"
import { type DrillContext, sleep, type StepResult } from "./step.js"
import { count, emptyTally, note } from "./tally.js"

export interface OutagePlan {
  readonly writers: number
  readonly beforeStopMs: number
  readonly outageMs: number
  readonly afterStartMs: number
  /** The first 2xx must come within this long after PostgreSQL accepts connections again. */
  readonly recoveryLimitMs: number
}

const firstConnection = async (url: string): Promise<number> => {
  const deadline = performance.now() + 60_000
  while (performance.now() < deadline) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 })
    client.on("error", () => undefined)
    const connected = await client.connect().then(() => true, () => false)
    if (connected) {
      const at = performance.now()
      await client.end()
      return at
    }
    await sleep(25)
  }
  throw new Error("PostgreSQL did not accept a connection within 60 s of its start")
}

export const storeOutage = async (context: DrillContext, mode: "fast" | "immediate", plan: OutagePlan): Promise<StepResult> => {
  const started = performance.now()
  const { server, cluster, token } = context
  const ledger = makeLedger()
  const tally = emptyTally()
  let going = true
  let backAt: number | undefined
  let firstSuccessAfterBack: number | undefined
  let unavailableOutsideEnvelope = 0
  const acknowledged = () => {
    if (backAt !== undefined && firstSuccessAfterBack === undefined) firstSuccessAfterBack = performance.now()
  }
  const writer = async (id: number) => {
    let n = 0
    while (going) {
      n++
      const created = await callApi(server.baseUrl, "POST", "/api/v1/sessions", { token, body: { name: `outage ${id}.${n}` } })
      count(tally, created, "POST /api/v1/sessions")
      const sessionId = stringField(created.body, "sessionId")
      if (created.status === 201 && sessionId !== undefined) {
        acknowledged()
        ledger.record(sessionId, { kind: "created" })
        const qr = await callApi(server.baseUrl, "GET", `/api/v1/sessions/${sessionId}/qr`, { token })
        count(tally, qr, "GET /api/v1/sessions/{session}/qr")
        if (qr.status === 200) {
          acknowledged()
          ledger.record(sessionId, { kind: "pairing", method: "qr" })
        }
      } else if (created.status === 503) {
        if (envelopeCode(created.body) !== "unavailable") {
          unavailableOutsideEnvelope++
          note(tally, `503 not "unavailable": ${JSON.stringify(created.body)}`)
        }
        // A client backs off; 40 of them hammering a refusing store measures nothing more.
        await sleep(100)
      } else {
        if (created.status !== 0) note(tally, `POST /api/v1/sessions → ${created.status} ${JSON.stringify(created.body)}`)
        await sleep(100)
      }
    }
  }
  const writers = Array.from({ length: plan.writers }, (_, id) => writer(id))
  await sleep(plan.beforeStopMs)
  await cluster.stop(mode)
  const stoppedAt = performance.now()
  await sleep(plan.outageMs)
  // Back is when PostgreSQL first accepts a connection, not when pg_ctl notices.
  const starting = cluster.start()
  backAt = await firstConnection(cluster.url)
  await starting
  const deadline = performance.now() + Math.max(plan.recoveryLimitMs * 5, 10_000)
  while (firstSuccessAfterBack === undefined && performance.now() < deadline) await sleep(20)
  await sleep(plan.afterStartMs)
  going = false
  await Promise.all(writers)
  const check = await checkLog(cluster.url, ledger)
  const recoveryMs = firstSuccessAfterBack === undefined ? Number.POSITIVE_INFINITY : firstSuccessAfterBack - backAt
  const otherStatuses = Object.entries(tally.statuses).filter(([status]) => !["200", "201", "503"].includes(status))
  const failures = [
    ...(server.alive() ? [] : ["the gateway process died"]),
    ...server.unexpectedExits().map((exit) => `the gateway ${exit}`),
    ...(recoveryMs > plan.recoveryLimitMs ? [`first 2xx ${Math.round(recoveryMs)} ms after PostgreSQL was back (limit ${plan.recoveryLimitMs} ms)`] : []),
    ...(check.lost > 0 ? [`${check.lost} acknowledged change(s) not in the log`] : []),
    ...(check.gaps > 0 || check.readModelMismatches > 0 ? [`${check.gaps} gaps, ${check.readModelMismatches} read-model diffs`] : []),
    ...(tally.serverErrors > 0 ? [`${tally.serverErrors} 5xx other than 503`] : []),
    ...(tally.outsideEnvelope + unavailableOutsideEnvelope > 0 ? ["answers outside the envelope"] : []),
    ...(otherStatuses.length > 0 ? [`answers other than 2xx/503: ${JSON.stringify(Object.fromEntries(otherStatuses))}`] : []),
    ...(tally.unavailable === 0 ? ["no 503 during the outage: was PostgreSQL really stopped?"] : []),
    ...(tally.unanswered > 0 ? [`${tally.unanswered} request(s) got no answer within 15 s`] : []),
    ...check.examples,
    ...tally.examples
  ]
  return {
    step: `PostgreSQL stopped (${mode}) ${Math.round(plan.outageMs / 1000)} s under ${plan.writers} writers`,
    ok: failures.length === 0,
    durationMs: performance.now() - started,
    requests: tally.requests,
    acknowledged: tally.acknowledged,
    lost: check.lost,
    serverErrors: tally.serverErrors,
    measure: `503s ${tally.unavailable}; first 2xx ${Number.isFinite(recoveryMs) ? Math.round(recoveryMs) : "never"} ms after restart`,
    failures,
    details: {
      recoveryMs: Number.isFinite(recoveryMs) ? recoveryMs : null,
      stoppedForMs: (backAt ?? stoppedAt) - stoppedAt,
      unanswered: tally.unanswered,
      statuses: tally.statuses,
      processUp: server.alive(),
      log: check
    }
  }
}
