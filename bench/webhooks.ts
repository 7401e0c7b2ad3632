// DESIGN §6 / issue 10: webhook delivery on PostgreSQL. Lag from append to the
// receiver (p50/p99) at 100 and 1,000 events/s; the most events/s delivered
// (a replay of N events: router + sender, the appends already done) against a
// bare loop that signs the same payloads with standardwebhooks and POSTs them
// to the same receiver, in the same run. The bare loop runs sequentially (the
// reference of the issue) and with the dispatcher's per-webhook concurrency.
import { readdirSync, readFileSync } from "node:fs"
import { createServer, Agent, request } from "node:http"
import { Gateway, simulatorGatewayLayer, WebhookUrl } from "@wa-gateway/adapters"
import { OrgId } from "@wa-gateway/domain"
import { Effect, Layer, Logger, LogLevel, ManagedRuntime, Schema } from "effect"
import { Webhook } from "standardwebhooks"
import { type Bench, type BenchOutcome, runIfMain } from "./results.js"
import { type BenchLine, benchDatabaseUrl, ratio } from "./support.js"

const org = OrgId.make("bench")
const REPLAYED = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 3_000)
const PER_WEBHOOK = 16

const percentile = (values: ReadonlyArray<number>, p: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

/** A receiver that answers 204 and notes when each `webhook-id` first arrived and for which session event. */
const startReceiver = async () => {
  const arrivals = new Map<string, number>()
  const bySessionVersion = new Map<string, number>()
  const server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const now = performance.now()
      const id = String(req.headers["webhook-id"])
      if (!arrivals.has(id)) {
        arrivals.set(id, now)
        const payload = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { data: { sessionId: string; version: number } }
        bySessionVersion.set(`${payload.data.sessionId}/${payload.data.version}`, now)
      }
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  return { url: `http://127.0.0.1:${port}/hook`, arrivals, bySessionVersion, close: () => new Promise<void>((r) => server.close(() => r())) }
}

/** User + system CPU of this process since `since`, in µs per replayed event. */
const cpuPerEvent = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since)
  return (used.user + used.system) / REPLAYED
}

/**
 * CPU ticks (user + system) of the PostgreSQL backends serving `database`,
 * from /proc (Linux; 0 elsewhere): the store's share of a delivery's cost.
 */
const backendTicks = (database: string): number => {
  let ticks = 0
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(` ${database} `)) continue
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? []
      ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0)
    } catch {
      // The process ended meanwhile.
    }
  }
  return ticks
}
const TICK_US = 10_000

const waitUntil = async (check: () => boolean, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

const run = async (): Promise<BenchOutcome> => {
  const databaseUrl = await benchDatabaseUrl("wa_bench_webhooks")
  const receiver = await startReceiver()
  const runtime = ManagedRuntime.make(
    simulatorGatewayLayer({ store: { _tag: "postgres", url: databaseUrl } }).pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Warning)))
  )
  const run = <A, E>(effect: Effect.Effect<A, E, Gateway>) => runtime.runPromise(effect)
  try {
    const gateway = await run(Gateway)
    const url = Schema.decodeSync(WebhookUrl)(receiver.url)
    const { webhook, secret } = await run(gateway.webhooks.create(org, { url, events: ["session.created"] }))

    /** Appends one event (a new session) and notes when, for its lag. */
    const appendAt = async (sent: Map<string, number>) => {
      const started = performance.now()
      const session = await run(gateway.create(org, { name: "bench" }))
      sent.set(`${session.sessionId}/1`, started)
    }

    const lagAt = async (rate: number, seconds: number) => {
      const sent = new Map<string, number>()
      const total = rate * seconds
      const tick = 10
      const perTick = Math.max(1, Math.round((rate * tick) / 1000))
      const started = performance.now()
      const pending: Array<Promise<void>> = []
      for (let i = 0; i < total; i += perTick) {
        const due = started + (i / rate) * 1000
        const wait = due - performance.now()
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
        for (let j = 0; j < perTick && i + j < total; j++) pending.push(appendAt(sent))
      }
      await Promise.all(pending)
      const achieved = total / ((performance.now() - started) / 1000)
      await waitUntil(() => [...sent.keys()].every((k) => receiver.bySessionVersion.has(k)), 120_000, `${total} deliveries`)
      const lags = [...sent].map(([key, at]) => (receiver.bySessionVersion.get(key) ?? Number.NaN) - at)
      return { p50: percentile(lags, 50), p99: percentile(lags, 99), achieved }
    }

    // Warm-up, then the two rates.
    await lagAt(50, 2)
    const at100 = await lagAt(100, 5)
    const at1000 = await lagAt(1_000, 3)

    // Most events/s: N events appended while the subscription is disabled (routed past, nothing queued),
    // then enabled and replayed from the first: the router queues them, the sender delivers them.
    await run(gateway.webhooks.update(org, webhook.webhookId, { enabled: false }))
    const first = await run(gateway.create(org, { name: "replayed" }))
    const [firstEvent] = await run(gateway.events(org, first.sessionId))
    for (let i = 1; i < REPLAYED; i += 16) {
      await Promise.all(Array.from({ length: Math.min(16, REPLAYED - i) }, () => run(gateway.create(org, { name: "replayed" }))))
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
    await run(gateway.webhooks.update(org, webhook.webhookId, { enabled: true }))
    const before = receiver.arrivals.size
    const database = new URL(databaseUrl).pathname.slice(1)
    const replayTicks = backendTicks(database)
    const replayCpu = process.cpuUsage()
    const replayStarted = performance.now()
    await run(gateway.webhooks.replay(org, webhook.webhookId, firstEvent?.position ?? 0n))
    await waitUntil(() => receiver.arrivals.size - before >= REPLAYED, 300_000, "the replay")
    const dispatcherRate = REPLAYED / ((performance.now() - replayStarted) / 1000)
    const dispatcherCpu = cpuPerEvent(replayCpu)
    // Backends that ended during the replay are missed: a lower bound.
    const storeCpu = ((backendTicks(database) - replayTicks) * TICK_US) / REPLAYED

    // The bare loops: the same payload shape, signed and POSTed over a keep-alive agent to the same receiver.
    const signer = new Webhook(secret)
    const agent = new Agent({ keepAlive: true, maxSockets: 64 })
    const post = (i: number, prefix: string) =>
      new Promise<void>((resolve, reject) => {
        const body = JSON.stringify({
          type: "session.created",
          timestamp: new Date().toISOString(),
          data: { sessionId: `${prefix}${i}`, orgId: "bench", status: "unpaired", connected: false, version: 1, name: "replayed" }
        })
        const id = `msg_${prefix}${i}`
        const now = new Date()
        const req = request(receiver.url, {
          method: "POST",
          agent,
          headers: {
            "webhook-id": id,
            "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
            "webhook-signature": signer.sign(id, now, body),
            "content-type": "application/json",
            "content-length": String(Buffer.byteLength(body))
          }
        }, (res) => {
          res.resume()
          res.on("end", () => resolve())
        })
        req.on("error", reject)
        req.end(body)
      })
    const bareLoop = async (prefix: string, concurrency: number) => {
      const cpu = process.cpuUsage()
      const started = performance.now()
      let next = 0
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < REPLAYED) await post(next++, prefix)
      }))
      return { rate: REPLAYED / ((performance.now() - started) / 1000), cpu: cpuPerEvent(cpu) }
    }
    const { rate: bareSequential, cpu: bareSequentialCpu } = await bareLoop("bare_seq_", 1)
    const { rate: bareConcurrent, cpu: bareConcurrentCpu } = await bareLoop("bare_par_", PER_WEBHOOK)
    agent.destroy()

    const ms = (n: number) => `${n.toFixed(1)} ms`
    const µs = (n: number) => `${n.toFixed(0)} µs`
    const lines: ReadonlyArray<BenchLine> = [
      { name: "lag p50 at 100 events/s", value: ms(at100.p50) },
      { name: "lag p99 at 100 events/s", value: ms(at100.p99), target: "< 250 ms", ok: at100.p99 < 250 },
      { name: "lag p50 at 1,000 events/s", value: `${ms(at1000.p50)} (appends reached ${at1000.achieved.toFixed(0)}/s)` },
      { name: "lag p99 at 1,000 events/s", value: ms(at1000.p99) },
      { name: `most events/s delivered (replay of ${REPLAYED})`, value: `${dispatcherRate.toFixed(0)}/s` },
      { name: "bare sign-and-POST loop, sequential", value: `${bareSequential.toFixed(0)}/s` },
      { name: "dispatcher vs the bare sequential loop", value: ratio(dispatcherRate, bareSequential), target: "≥ 0.8×", ok: dispatcherRate / bareSequential >= 0.8 },
      { name: `bare loop with ${PER_WEBHOOK} in flight (the dispatcher's per-webhook bound)`, value: `${bareConcurrent.toFixed(0)}/s` },
      { name: `dispatcher vs the bare loop with ${PER_WEBHOOK} in flight`, value: ratio(dispatcherRate, bareConcurrent) },
      // This process only (receiver included in both); PostgreSQL's own CPU comes on top for the dispatcher.
      {
        name: "CPU of this process per event: dispatcher / bare sequential / bare concurrent",
        value: `${µs(dispatcherCpu)} / ${µs(bareSequentialCpu)} / ${µs(bareConcurrentCpu)}`
      },
      { name: "PostgreSQL backends' CPU per event delivered (replay)", value: µs(storeCpu) }
    ]
    return {
      lines,
      figures: { at100, at1000, dispatcherRate, bareSequential, bareConcurrent, dispatcherCpu, storeCpu, bareSequentialCpu, bareConcurrentCpu },
      settings: { replayed: REPLAYED, perWebhook: PER_WEBHOOK }
    }
  } finally {
    await runtime.dispose()
    await receiver.close()
  }
}

export const webhooks: Bench = { name: "webhooks", title: "Webhooks on PostgreSQL (DESIGN §6, issue 10)", run }

await runIfMain(import.meta.url, webhooks)
