import { el, html } from "./html.js"
import { formatDateTime } from "./format.js"
import { hrefOf } from "./router.js"
import { useServices } from "./services.js"
import { useResource } from "./use-resource.js"
import { Deliveries } from "./webhook-deliveries.js"
import { EnabledToggle } from "./webhook-enabled-toggle.js"
import { getWebhook } from "./webhooks-api.js"

/** One webhook: its settings, enable/disable, and its deliveries. */
export const WebhookPage = ({ webhookId }: { readonly webhookId: string }) => {
  const { client } = useServices()
  const webhook = useResource(() => getWebhook(client, webhookId), [client, webhookId])
  const back = html`<p class="crumbs"><a href=${hrefOf({ page: "webhooks" })}>← Webhooks</a></p>`
  if (webhook.error?.status === 404) {
    return html`<section>${back}<h1 id="page-title" tabindex="-1">Webhook not found</h1>
      <p>It does not exist, was deleted, or belongs to another organization.</p></section>`
  }
  const current = webhook.data
  if (current === undefined) {
    return webhook.error === undefined
      ? html`<p class="muted">Loading…</p>`
      : html`<p class="error" role="alert">Could not load the webhook: ${webhook.error.message}</p>`
  }
  return html`<section aria-labelledby="page-title" data-webhook-id=${current.webhookId}>${back}
    <div class="page-head"><h1 id="page-title" tabindex="-1" class="break">${current.url}</h1>
      ${el(EnabledToggle, { webhook: current, onChanged: webhook.replace })}</div>
    <section class="card" aria-label="Settings"><dl class="facts">
      <dt>Events</dt><dd>${current.events.join(", ")}</dd>
      <dt>Sessions</dt><dd>${current.sessionIds === null ? "all, future ones too" : current.sessionIds.join(", ")}</dd>
      <dt>Description</dt><dd>${current.description ?? "–"}</dd>
      <dt>Created</dt><dd>${formatDateTime(current.createdAt)}</dd>
    </dl></section>
    ${el(Deliveries, { webhookId: current.webhookId, onChanged: webhook.reload })}
  </section>`
}
