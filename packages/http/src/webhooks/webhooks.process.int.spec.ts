import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type WebhookReceiver, webhookReceiver } from "@wa-gateway/testkit"
import { type GatewayProcess, killGatewayProcesses, startGatewayProcess } from "../gateway-process.spec-helper.js"

// Gateway processes on one PostgreSQL database (a schema of this file's own),
// with a short retry schedule. Each test bounds itself; afterAll kills whatever is left.

const databaseUrl = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"

const sql = async <R extends pg.QueryResultRow>(text: string, params: ReadonlyArray<unknown> = []): Promise<ReadonlyArray<R>> => {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    return (await client.query<R>(text, [...params])).rows
  } finally {
    await client.end()
  }
}

const schemas: Array<string> = []
const receivers: Array<WebhookReceiver> = []

afterAll(async () => {
  await killGatewayProcesses()
  await Promise.all(receivers.map((r) => r.close()))
  for (const schema of schemas) await sql(`drop schema if exists "${schema}" cascade`)
})

/** A fresh schema, and the URL whose connections use it. */
const freshDatabase = async () => {
  const schema = `t_webhooks_${Math.random().toString(16).slice(2, 10)}`
  schemas.push(schema)
  await sql(`create schema "${schema}"`)
  const url = new URL(databaseUrl)
  url.searchParams.set("options", `-c search_path=${schema}`)
  return { schema, url: url.toString() }
}

const gatewayEnv = (url: string) => ({ DATABASE_URL: url, WEBHOOK_RETRY_SCHEDULE: "1s,1s,2s,2s,5s,5s", LOG_LEVEL: "info" })

const keyOf = (gateway: GatewayProcess): string => gateway.firstApiKey()

const api = async (gateway: GatewayProcess, key: string, method: string, path: string, body?: unknown) => {
  const response = await fetch(`${gateway.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await response.text()
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`)
  return text === "" ? undefined : JSON.parse(text) as Record<string, unknown>
}

/** Every durable event since the webhook was created, as the `webhook-id` it must arrive under. */
const expectedMessageIds = async (schema: string, webhookId: string, logFrom: string, connectionFrom: string) => {
  const suffix = webhookId.slice(3)
  const log = await sql<{ position: string }>(`select global_position::text as position from "${schema}".events where global_position > $1`, [logFrom])
  const connections = await sql<{ position: string }>(`select position::text as position from "${schema}".connection_events where position > $1`, [connectionFrom])
  return new Set([...log.map((r) => `msg_${suffix}_${r.position}`), ...connections.map((r) => `msg_${suffix}_c${r.position}`)])
}

const checkpointsOf = async (schema: string, webhookId: string) => {
  const [row] = await sql<{ log: string; connection: string }>(
    `select log_checkpoint::text as log, connection_checkpoint::text as connection from "${schema}".webhooks where webhook_id = $1`,
    [webhookId]
  )
  return row ?? { log: "0", connection: "0" }
}

/** Creates sessions through the given gateways in turn; every third is paired (connection events too). */
const lifecycle = async (gateways: ReadonlyArray<GatewayProcess>, key: string, count: number) => {
  for (let i = 0; i < count; i++) {
    const gateway = gateways[i % gateways.length]
    if (gateway === undefined) continue
    const session = await api(gateway, key, "POST", "/api/v1/sessions", { name: `s${i}` })
    const sessionId = String(session?.["sessionId"])
    if (i % 3 === 0) {
      await api(gateway, key, "GET", `/api/v1/sessions/${sessionId}/qr`)
      await api(gateway, key, "POST", `/simulator/v1/sessions/${sessionId}:scan`, { phoneNumber: "628123456789" })
    }
  }
}

const messageIds = (receiver: WebhookReceiver) => receiver.accepted().map((d) => d.messageId)

describe("webhook delivery across gateway processes on PostgreSQL", () => {
  let receiver: WebhookReceiver
  beforeAll(async () => {
    receiver = await webhookReceiver({ delayMs: 150 })
    receivers.push(receiver)
  })

  it("a process killed with SIGKILL mid-delivery loses nothing: after a restart every durable event arrives, each exactly once by webhook-id", async () => {
    const { schema, url } = await freshDatabase()
    const first = await startGatewayProcess(gatewayEnv(url))
    const key = keyOf(first)
    const webhook = await api(first, key, "POST", "/api/v1/webhooks", { url: receiver.url })
    const webhookId = String(webhook?.["webhookId"])
    receiver.setSecret(String(webhook?.["secret"]))
    const from = await checkpointsOf(schema, webhookId)

    await lifecycle([first], key, 9)
    // Some delivered, some held by the receiver (in flight), many still queued: now kill it.
    await receiver.waitFor((d) => d.length >= 5, 30_000)
    first.child.kill("SIGKILL")
    await first.exit

    const second = await startGatewayProcess(gatewayEnv(url))
    const expected = await expectedMessageIds(schema, webhookId, from.log, from.connection)
    expect(expected.size).toBeGreaterThan(9)
    // The leases of what was in flight run out (20 s), then it is sent again.
    await receiver.waitFor(() => [...expected].every((id) => messageIds(receiver).includes(id)), 60_000)
    // What the restart itself recorded (the paired sessions reconnecting) arrives too.
    const after = await expectedMessageIds(schema, webhookId, from.log, from.connection)
    await receiver.waitFor(() => [...after].every((id) => messageIds(receiver).includes(id)), 30_000)

    const accepted = messageIds(receiver).filter((id) => id.includes(webhookId.slice(3)))
    expect(new Set(accepted)).toEqual(after)
    expect(accepted).toHaveLength(after.size)
    expect(receiver.deliveries().filter((d) => d.messageId.includes(webhookId.slice(3))).every((d) => d.verified)).toBe(true)
    second.child.kill("SIGTERM")
    expect(await second.exit).toBe(0)
  }, 150_000)

  it("two processes on one database deliver one stream: none lost, no attempt in flight twice at once", async () => {
    const { schema, url } = await freshDatabase()
    const one = await startGatewayProcess(gatewayEnv(url))
    const key = keyOf(one)
    const two = await startGatewayProcess(gatewayEnv(url))
    const overlapsBefore = receiver.overlaps()
    const webhook = await api(one, key, "POST", "/api/v1/webhooks", { url: receiver.url })
    const webhookId = String(webhook?.["webhookId"])
    receiver.setSecret(String(webhook?.["secret"]))
    const from = await checkpointsOf(schema, webhookId)

    await lifecycle([one, two], key, 12)
    const expected = await expectedMessageIds(schema, webhookId, from.log, from.connection)
    await receiver.waitFor(() => [...expected].every((id) => messageIds(receiver).includes(id)), 60_000)
    const mine = receiver.deliveries().filter((d) => d.messageId.includes(webhookId.slice(3)))
    expect(new Set(mine.map((d) => d.messageId))).toEqual(expected)
    expect(receiver.overlaps() - overlapsBefore).toBe(0)
    // Healthy receiver, one stream: nothing was sent twice.
    expect(mine).toHaveLength(expected.size)
    // The outbox agrees once the last answers are recorded: each delivery succeeded once, none pending.
    const statuses = async () =>
      sql<{ status: string; n: string }>(`select status, count(*)::text as n from "${schema}".webhook_deliveries group by status`)
    for (let i = 0; i < 100 && JSON.stringify(await statuses()) !== JSON.stringify([{ status: "succeeded", n: String(expected.size) }]); i++) {
      await new Promise((wait) => setTimeout(wait, 100))
    }
    expect(await statuses()).toEqual([{ status: "succeeded", n: String(expected.size) }])
    for (const gateway of [one, two]) {
      gateway.child.kill("SIGTERM")
      expect(await gateway.exit).toBe(0)
    }
  }, 150_000)
})
