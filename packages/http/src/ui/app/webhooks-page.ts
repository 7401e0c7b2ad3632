import { useState } from "./vendor/preact-hooks.js"
import { CreateWebhookForm } from "./create-webhook-form.js"
import { el, html } from "./html.js"
import { formatDateTime } from "./format.js"
import { hrefOf } from "./router.js"
import { SecretOnce } from "./secret-once.js"
import { useServices } from "./services.js"
import { useResource } from "./use-resource.js"
import { EnabledToggle } from "./webhook-enabled-toggle.js"
import { listWebhooks } from "./webhooks-api.js"
import type { CreatedWebhook, Webhook } from "./webhooks-wire.js"

const Title = () => html`<div class="page-head"><h1 id="page-title" tabindex="-1">Webhooks</h1></div>`

const WebhookRow = ({ webhook, onChanged }: { readonly webhook: Webhook; readonly onChanged: () => void }) =>
  html`<tr data-webhook-id=${webhook.webhookId}>
    <td data-label="Receiver"><div class="break"><a href=${hrefOf({ page: "webhook", webhookId: webhook.webhookId })}>${webhook.url}</a>
      ${webhook.description === null ? null : html`<div class="muted">${webhook.description}</div>`}</div></td>
    <td data-label="Events">${webhook.events.join(", ")}</td>
    <td data-label="Sessions">${webhook.sessionIds === null ? "all" : webhook.sessionIds.length}</td>
    <td data-label="State">${el(EnabledToggle, { webhook, onChanged })}</td>
    <td data-label="Created"><time datetime=${webhook.createdAt}>${formatDateTime(webhook.createdAt)}</time></td>
  </tr>`

/** The organization's webhooks: the list, and a form for a new one whose secret is shown once. */
export const WebhooksPage = () => {
  const { client } = useServices()
  const webhooks = useResource(() => listWebhooks(client), [client])
  const [created, setCreated] = useState<CreatedWebhook | null>(null)

  if (webhooks.data === undefined) {
    return html`<section aria-labelledby="page-title">${el(Title, {})}${webhooks.error === undefined
      ? html`<p class="muted">Loading…</p>`
      : html`<p class="error" role="alert">Could not load the webhooks: ${webhooks.error.message}</p>`}</section>`
  }
  const list = webhooks.data.webhooks
  return html`<section aria-labelledby="page-title">${el(Title, {})}
    ${created === null ? null : el(SecretOnce, { url: created.url, secret: created.secret, onDismiss: () => setCreated(null) })}
    ${el(CreateWebhookForm, {
      onCreated: (webhook) => {
        setCreated(webhook)
        webhooks.reload()
      }
    })}
    ${list.length === 0
      ? html`<p class="empty">No webhooks yet.</p>`
      : html`<div class="table-wrap"><table class="webhooks">
        <thead><tr><th scope="col">Receiver</th><th scope="col">Events</th><th scope="col">Sessions</th><th scope="col">State</th><th scope="col">Created</th></tr></thead>
        <tbody>${list.map((webhook) => el(WebhookRow, { webhook, onChanged: webhooks.reload }, webhook.webhookId))}</tbody>
      </table></div>`}
  </section>`
}
