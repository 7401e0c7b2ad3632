// 10,000 generated malformed requests on raw sockets: zero 5xx, every error
// in the envelope, the server up, and no ERROR line in its log.
import fc from "fast-check"
import { seriousLines } from "./client-errors-in-log.js"
import { malformedRequestArb } from "./malformed-requests.js"
import { rawExchange } from "./raw-socket.js"
import { type DrillContext, type StepResult } from "./step.js"
import { count, emptyTally } from "./tally.js"

export interface FuzzPlan {
  readonly requests: number
  readonly concurrency: number
  readonly seed: number
}

const BATCH = 500

export const fuzz = async (context: DrillContext, sessionId: string, plan: FuzzPlan): Promise<StepResult> => {
  const started = performance.now()
  const { server } = context
  const logFrom = server.logSince(0).end
  const tally = emptyTally()
  const arbitrary = malformedRequestArb({ apiKey: context.token, sessionId, port: context.port })
  for (let batch = 0; batch * BATCH < plan.requests; batch++) {
    const requests = fc.sample(arbitrary, { numRuns: Math.min(BATCH, plan.requests - batch * BATCH), seed: plan.seed + batch })
    let next = 0
    await Promise.all(Array.from({ length: plan.concurrency }, async () => {
      while (next < requests.length) {
        const request = requests[next++]!
        const answer = await rawExchange(context.port, request.bytes, { waitMs: 10_000 })
        const what = `${request.method} ${request.path.slice(0, 120)}`
        count(tally, answer, `${what} (${request.bytes.length} bytes sent)`, { bodiless: request.method === "HEAD" })
      }
    }))
    if (!server.alive()) break
  }
  const serious = seriousLines(server.logSince(logFrom).lines)
  const failures = [
    ...(server.alive() ? [] : ["the gateway process died"]),
    ...(tally.serverErrors + tally.unavailable > 0 ? [`${tally.serverErrors + tally.unavailable} 5xx`] : []),
    ...(tally.outsideEnvelope > 0 ? [`${tally.outsideEnvelope} error(s) outside the envelope`] : []),
    ...(tally.unanswered > 0 ? [`${tally.unanswered} request(s) without an answer`] : []),
    ...(serious.length > 0 ? [`${serious.length} ERROR line(s) in the log`, ...serious.slice(0, 3).map((line) => line.slice(0, 300))] : []),
    ...tally.examples
  ]
  return {
    step: `${plan.requests} generated malformed requests (seed ${plan.seed})`,
    ok: failures.length === 0,
    durationMs: performance.now() - started,
    requests: tally.requests,
    acknowledged: tally.acknowledged,
    lost: 0,
    serverErrors: tally.serverErrors + tally.unavailable,
    measure: `outside envelope ${tally.outsideEnvelope}; ERROR lines ${serious.length}; unanswered ${tally.unanswered}`,
    failures,
    details: { statuses: tally.statuses, seed: plan.seed }
  }
}
