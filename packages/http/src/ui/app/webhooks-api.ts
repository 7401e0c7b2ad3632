import type { ApiClient } from "./api-client.js"
import { CreatedWebhook, type DeliveryStatus, DeliveryList, Webhook, WebhookList } from "./webhooks-wire.js"

// The webhook routes of spec/EVENTS.md, as the page calls them.

const API = "/api/v1"
const webhookPath = (webhookId: string, suffix = "") => `${API}/webhooks/${encodeURIComponent(webhookId)}${suffix}`

/** The first page, newest first (the API's largest page). */
export const listWebhooks = (client: ApiClient) => client.json("GET", `${API}/webhooks?pageSize=100`, WebhookList)

export interface NewWebhook {
  readonly url: string
  readonly events: ReadonlyArray<string>
  readonly sessionIds: ReadonlyArray<string> | null
  readonly description: string | null
}

export const createWebhook = (client: ApiClient, webhook: NewWebhook) => {
  const body: Record<string, unknown> = { url: webhook.url, events: webhook.events }
  if (webhook.sessionIds !== null) body["sessionIds"] = webhook.sessionIds
  if (webhook.description !== null) body["description"] = webhook.description
  return client.json("POST", `${API}/webhooks`, CreatedWebhook, { body })
}

export const getWebhook = (client: ApiClient, webhookId: string) => client.json("GET", webhookPath(webhookId), Webhook)

export const setWebhookEnabled = (client: ApiClient, webhookId: string, enabled: boolean) =>
  client.json("PATCH", webhookPath(webhookId), Webhook, { body: { enabled } })

export const listDeliveries = (client: ApiClient, webhookId: string, status: DeliveryStatus | null) => {
  const query = new URLSearchParams({ pageSize: "100" })
  if (status !== null) query.set("status", status)
  return client.json("GET", webhookPath(webhookId, `/deliveries?${query.toString()}`), DeliveryList)
}

export const replayDeliveries = (client: ApiClient, webhookId: string, fromPosition: number) =>
  client.send("POST", webhookPath(webhookId, ":replay"), { body: { fromPosition } })

export const sendTestEvent = (client: ApiClient, webhookId: string) => client.send("POST", webhookPath(webhookId, ":test"))
