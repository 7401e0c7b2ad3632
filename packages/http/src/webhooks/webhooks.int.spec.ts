import { Webhook as StandardWebhook } from "standardwebhooks"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type WebhookReceiver, webhookReceiver } from "@wa-gateway/testkit"
import { call, expectEnvelope, startTestServer, type TestServer, wire } from "../server.spec-helper.js"
import { CreatedWebhook, DeliveryList, RotatedSecret, Webhook, WebhookList } from "./api.js"

let server: TestServer
let receiver: WebhookReceiver
/** read + manage in org-a */
let admin: string
/** read only in org-a */
let reader: string
/** read + manage in org-b */
let other: string

beforeAll(async () => {
  server = await startTestServer()
  receiver = await webhookReceiver()
  admin = await server.apiKey("org-a", ["read", "manage"])
  reader = await server.apiKey("org-a", ["read"])
  other = await server.apiKey("org-b", ["read", "manage"])
})
afterAll(async () => {
  await server.close()
  await receiver.close()
})

const base = "/api/v1/webhooks"
const unknownId = "wh_01HZX8K3M9Q2W4E6R8T0Y2V4X6"

const createWebhook = async (body: Record<string, unknown> = {}, token = admin) => {
  const reply = await call(server, "POST", base, { token, body: { url: receiver.url, ...body } })
  expect(reply.status, reply.text).toBe(201)
  return wire(CreatedWebhook, reply)
}

const createSession = async (token: string) => {
  const reply = await call(server, "POST", "/api/v1/sessions", { token, body: {} })
  expect(reply.status).toBe(201)
  return (reply.body as { sessionId: string }).sessionId
}

describe("POST /webhooks", () => {
  it("creates a subscription to every durable type by default and shows its secret once", async () => {
    const created = await createWebhook({ description: "crm" })
    expect(created).toMatchObject({
      url: receiver.url,
      events: [
        "session.created", "session.pairing_started", "session.paired", "session.pairing_failed",
        "session.logged_out", "session.deleted", "session.connected", "session.disconnected"
      ],
      sessionIds: null,
      description: "crm",
      enabled: true
    })
    expect(created.webhookId).toMatch(/^wh_[0-9A-HJKMNP-TV-Z]{26}$/)
    expect(created.secret).toMatch(/^whsec_/)
    const fetched = await call(server, "GET", `${base}/${created.webhookId}`, { token: reader })
    expect(fetched.status).toBe(200)
    expect(wire(Webhook, fetched)).not.toHaveProperty("secret")
    const listed = wire(WebhookList, await call(server, "GET", base, { token: reader }))
    expect(JSON.stringify(listed)).not.toContain(created.secret)
  })

  it("keeps the requested types in the contract's order, each once, and accepts session.qr", async () => {
    const created = await createWebhook({ events: ["session.qr", "session.paired", "session.paired"] })
    expect(created.events).toEqual(["session.paired", "session.qr"])
  })

  it.each([
    ["a relative URL", { url: "/hook" }, "url"],
    ["an ftp URL", { url: "ftp://example.com/hook" }, "url"],
    ["a URL with user info", { url: "https://user:pass@example.com/hook" }, "url"],
    ["a URL over 2,000 characters", { url: `https://example.com/${"a".repeat(2_000)}` }, "url"],
    ["an unknown event type", { events: ["session.exploded"] }, "events.0"],
    ["webhook.test as a type", { events: ["webhook.test"] }, "events.0"],
    ["no event type", { events: [] }, "events"],
    ["a description over 200 characters", { description: "x".repeat(201) }, "description"],
    ["an unknown field", { secret: "mine" }, "secret"]
  ])("refuses %s with 400 in the envelope", async (_, body, field) => {
    const reply = await call(server, "POST", base, { token: admin, body: { url: receiver.url, ...body } })
    const error = expectEnvelope(reply, 400, "validation_error")
    expect(error.details).toMatchObject({ field })
  })

  it("refuses a sessionIds entry that is unknown, malformed or another org's, naming the field", async () => {
    const theirs = await createSession(other)
    for (const sessionId of ["sess_01HZX8K3M9Q2W4E6R8T0Y2V4X6", "not-a-session", theirs]) {
      const reply = await call(server, "POST", base, { token: admin, body: { url: receiver.url, sessionIds: [sessionId] } })
      const error = expectEnvelope(reply, 400, "validation_error")
      expect(error.details).toMatchObject({ field: "sessionIds" })
    }
    const mine = await createSession(admin)
    expect((await createWebhook({ sessionIds: [mine, mine] })).sessionIds).toEqual([mine])
  })

  it("refuses a body over the limit with 413, and a body that is not JSON with 400", async () => {
    const huge = await call(server, "POST", base, { token: admin, body: { url: receiver.url, description: "x".repeat(70_000) } })
    expectEnvelope(huge, 413, "payload_too_large")
    expectEnvelope(await call(server, "POST", base, { token: admin, body: "{nope", headers: { "content-type": "application/json" } }), 400, "validation_error")
  })

  it("needs manage (403 for a read-only key)", async () => {
    expectEnvelope(await call(server, "POST", base, { token: reader, body: { url: receiver.url } }), 403, "forbidden")
  })
})

describe("the webhook routes", () => {
  it("update, rotate, test, list deliveries, replay and delete, each with its status", async () => {
    const created = await createWebhook({ events: ["session.deleted"] })
    const path = `${base}/${created.webhookId}`
    const patched = await call(server, "PATCH", path, { token: admin, body: { description: "renamed", events: ["session.created"] } })
    expect(wire(Webhook, patched)).toMatchObject({ description: "renamed", events: ["session.created"] })
    expectEnvelope(await call(server, "PATCH", path, { token: admin, body: { enabled: "yes" } }), 400, "validation_error")
    expectEnvelope(await call(server, "PATCH", path, { token: admin, body: { nope: 1 } }), 400, "validation_error")

    const rotated = wire(RotatedSecret, await call(server, "POST", `${path}:rotateSecret`, { token: admin }))
    expect(rotated.secret).not.toBe(created.secret)
    receiver.setSecret(rotated.secret)

    const tested = await call(server, "POST", `${path}:test`, { token: admin })
    expect([tested.status, tested.text]).toEqual([202, ""])
    const [delivery] = (await receiver.waitFor((d) => d.some((x) => (x.payload as { type: string }).type === "webhook.test")))
      .filter((x) => (x.payload as { type: string }).type === "webhook.test")
    expect(delivery?.verified).toBe(true)
    // Both secrets sign during the overlap.
    if (delivery !== undefined) expect(new StandardWebhook(created.secret).verify(delivery.body, delivery.headers)).toBeDefined()

    const deliveries = await call(server, "GET", `${path}/deliveries?status=succeeded`, { token: reader })
    expect(wire(DeliveryList, deliveries).deliveries.map((d) => [d.eventType, d.status, d.position, d.attempts])).toEqual([
      ["webhook.test", "succeeded", null, 1]
    ])
    expectEnvelope(await call(server, "GET", `${path}/deliveries?status=lost`, { token: reader }), 400, "validation_error")

    expect((await call(server, "POST", `${path}:replay`, { token: admin, body: { fromPosition: 0 } })).status).toBe(202)
    for (const fromPosition of [-1, 1.5, "3", null]) {
      expectEnvelope(await call(server, "POST", `${path}:replay`, { token: admin, body: { fromPosition } }), 400, "validation_error")
    }
    expectEnvelope(await call(server, "POST", `${path}:replay`, { token: admin, body: {} }), 400, "validation_error")

    expect((await call(server, "DELETE", path, { token: admin })).status).toBe(204)
    expectEnvelope(await call(server, "GET", path, { token: admin }), 404, "not_found")
  })

  it("pages the org's webhooks newest first with an opaque token", async () => {
    const org = await server.apiKey(`org-paging-${Date.now()}`, ["read", "manage"])
    const ids: Array<string> = []
    for (let i = 0; i < 3; i++) ids.push((await createWebhook({}, org)).webhookId)
    const first = wire(WebhookList, await call(server, "GET", `${base}?pageSize=2`, { token: org }))
    expect(first.nextPageToken).not.toBeNull()
    const second = wire(WebhookList, await call(server, "GET", `${base}?pageSize=2&pageToken=${first.nextPageToken}`, { token: org }))
    expect([...first.webhooks, ...second.webhooks].map((w) => w.webhookId).sort()).toEqual([...ids].sort())
    expect(second.nextPageToken).toBeNull()
    expectEnvelope(await call(server, "GET", `${base}?pageToken=garbage`, { token: org }), 400, "validation_error")
    expectEnvelope(await call(server, "GET", `${base}?pageSize=0`, { token: org }), 400, "validation_error")
  })

  it("answers 404 for another org's webhook on every route, and for a malformed or unknown id", async () => {
    const mine = await createWebhook()
    const routes = (id: string): ReadonlyArray<readonly [string, string, unknown?]> => [
      ["GET", `${base}/${id}`],
      ["PATCH", `${base}/${id}`, { enabled: false }],
      ["DELETE", `${base}/${id}`],
      ["POST", `${base}/${id}:rotateSecret`],
      ["POST", `${base}/${id}:test`],
      ["GET", `${base}/${id}/deliveries`],
      ["POST", `${base}/${id}:replay`, { fromPosition: 0 }]
    ]
    for (const id of [mine.webhookId, unknownId, "wh_nope"]) {
      for (const [method, path, body] of routes(id)) {
        const reply = await call(server, method, path, { token: other, ...(body === undefined ? {} : { body }) })
        expectEnvelope(reply, 404, "not_found")
      }
    }
    // Untouched by all of that.
    expect(wire(Webhook, await call(server, "GET", `${base}/${mine.webhookId}`, { token: admin })).enabled).toBe(true)
    const page = wire(WebhookList, await call(server, "GET", base, { token: other }))
    expect(page.webhooks.map((w) => w.webhookId)).not.toContain(mine.webhookId)
  })
})
