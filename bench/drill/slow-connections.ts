// Connections that hold the server without finishing a request (idle, or
// trickling a header a byte at a time) must not slow anyone else down.
import { connect, type Socket } from "node:net"
import { callApi } from "./answers.js"
import { type DrillContext, sleep, type StepResult } from "./step.js"

export interface SlowPlan {
  readonly connections: number
  readonly holdMs: number
  readonly probeEveryMs: number
  /** This percentile of the probes' answer times must stay under `latencyLimitMs`. */
  readonly latencyPercentile: number
  readonly latencyLimitMs: number
}

const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

export const slowConnections = async (context: DrillContext, sessionId: string, plan: SlowPlan): Promise<StepResult> => {
  const started = performance.now()
  const sockets: Array<Socket> = []
  let closedByServer = 0
  const trickles: Array<NodeJS.Timeout> = []
  for (let i = 0; i < plan.connections; i++) {
    const socket = connect(context.port, "127.0.0.1")
    socket.on("error", () => undefined)
    // Counted before the drill closes them itself: these are the server's doing.
    socket.on("close", () => closedByServer++)
    sockets.push(socket)
    if (i % 2 === 1) {
      // Half trickle a header that never ends, one byte a second.
      socket.once("connect", () => socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "))
      trickles.push(setInterval(() => socket.writable && socket.write("a"), 1_000))
    }
  }
  await sleep(200)
  const latencies: Array<number> = []
  let failedProbes = 0
  const until = performance.now() + plan.holdMs
  for (let n = 0; performance.now() < until; n++) {
    const answer = n % 2 === 0
      ? await callApi(context.server.baseUrl, "GET", "/healthz", { timeoutMs: 5_000 })
      : await callApi(context.server.baseUrl, "GET", `/api/v1/sessions/${sessionId}`, { token: context.token, timeoutMs: 5_000 })
    if (answer.status === 200) latencies.push(answer.ms)
    else failedProbes++
    await sleep(plan.probeEveryMs)
  }
  const closedDuringHold = closedByServer
  for (const timer of trickles) clearInterval(timer)
  for (const socket of sockets) socket.destroy()
  const sorted = [...latencies].sort((a, b) => a - b)
  const [p50, p99, max] = [percentile(sorted, 50), percentile(sorted, 99), sorted.at(-1) ?? Number.NaN]
  const bound = percentile(sorted, plan.latencyPercentile)
  const failures = [
    ...(failedProbes > 0 ? [`${failedProbes} probe(s) not answered 200`] : []),
    ...(!(bound <= plan.latencyLimitMs)
      ? [`p${plan.latencyPercentile} ${bound.toFixed(1)} ms over ${plan.latencyLimitMs} ms`]
      : []),
    ...(context.server.alive() ? [] : ["the gateway process died"])
  ]
  return {
    step: `${plan.connections} idle/trickling connections held ${Math.round(plan.holdMs / 1000)} s`,
    ok: failures.length === 0,
    durationMs: performance.now() - started,
    requests: latencies.length + failedProbes,
    acknowledged: latencies.length,
    lost: 0,
    serverErrors: 0,
    measure: `probe p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms; ${closedDuringHold} closed by the server`,
    failures,
    details: { p50, p99, max, probes: latencies.length, failedProbes, closedDuringHold }
  }
}
