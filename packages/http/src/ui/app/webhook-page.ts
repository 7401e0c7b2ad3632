import { useState } from "./vendor/preact-hooks.js"
import { asFailure } from "./api-client.js"
import { fieldValue } from "./dom.js"
import { el, html } from "./html.js"
import { formatDateTime } from "./format.js"
import { hrefOf } from "./router.js"
import { useServices } from "./services.js"
import { useLiveReload } from "./use-live-reload.js"
import { useResource } from "./use-resource.js"
import { getWebhook, listDeliveries, replayDeliveries, sendTestEvent } from "./webhooks-api.js"
import { EnabledToggle } from "./webhook-enabled-toggle.js"
import type { Delivery, DeliveryStatus, Webhook } from "./webhooks-wire.js"

const FILTERS: ReadonlyArray<DeliveryStatus | "all"> = ["all", "pending", "succeeded", "failed"]

const DeliveryRow = ({ delivery, onReplay }: { readonly delivery: Delivery; readonly onReplay: (position: number) => void }) =>
  html`<tr data-delivery-id=${delivery.deliveryId}>
    <td data-label="Event"><code>${delivery.eventType}</code></td>
    <td data-label="Position">${delivery.position ?? "–"}</td>
    <td data-label="Status"><span class=${`badge delivery-${delivery.status}`}>${delivery.status}</span></td>
    <td data-label="Attempts">${delivery.attempts}</td>
    <td data-label="Last answer"><div>${delivery.lastStatusCode ?? "–"}${delivery.lastError === null ? null : html`<div class="muted">${delivery.lastError}</div>`}</div></td>
    <td data-label="Next attempt">${delivery.nextAttemptAt === null ? "–" : formatDateTime(delivery.nextAttemptAt)}</td>
    <td data-label="">${delivery.position === null
      ? null
      : html`<button type="button" class="secondary small" onClick=${() => onReplay(delivery.position ?? 0)}>Replay from here</button>`}</td>
  </tr>`

/** `:replay` from a log position (an integer ≥ 0, as EVENTS.md requires). */
const ReplayForm = ({ position, onPosition, onReplay, busy }: {
  readonly position: string
  readonly onPosition: (position: string) => void
  readonly onReplay: (position: number) => void
  readonly busy: boolean
}) => {
  const [problem, setProblem] = useState<string | null>(null)
  const submit = (event: Event) => {
    event.preventDefault()
    if (!/^[0-9]+$/.test(position) || !Number.isSafeInteger(Number(position))) return setProblem("A log position is a whole number, 0 or more.")
    setProblem(null)
    onReplay(Number(position))
  }
  return html`<form class="inline-form" onSubmit=${submit} novalidate aria-label="Replay deliveries">
    <div class="field">
      <label for="replay-from">Deliver again from log position</label>
      <input id="replay-from" inputmode="numeric" value=${position} onInput=${(e: Event) => onPosition(fieldValue(e))} />
    </div>
    <button type="submit" disabled=${busy}>Replay</button>
    <p class="error" role="alert">${problem}</p>
  </form>`
}

const Deliveries = ({ webhook }: { readonly webhook: Webhook }) => {
  const { client, notify } = useServices()
  const [filter, setFilter] = useState<DeliveryStatus | "all">("all")
  const deliveries = useResource(
    () => listDeliveries(client, webhook.webhookId, filter === "all" ? null : filter),
    [client, webhook.webhookId, filter]
  )
  useLiveReload(deliveries.reload)
  const [position, setPosition] = useState("0")
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)

  const act = async (call: () => Promise<void>, done: string) => {
    setBusy(true)
    setProblem(null)
    try {
      await call()
      notify(done)
      deliveries.reload()
    } catch (error) {
      setProblem(asFailure(error).message)
    } finally {
      setBusy(false)
    }
  }
  const replay = (from: number) => {
    setPosition(String(from))
    void act(() => replayDeliveries(client, webhook.webhookId, from), `Replay from position ${from} queued.`)
  }

  return html`<section class="card" aria-labelledby="deliveries-title">
    <h2 id="deliveries-title">Deliveries</h2>
    <div class="inline-form">
      <div class="field">
        <label for="delivery-filter">Show</label>
        <select id="delivery-filter" value=${filter}
          onChange=${(e: Event) => setFilter(FILTERS.find((known) => known === fieldValue(e)) ?? "all")}>
          ${FILTERS.map((known) => html`<option key=${known} value=${known}>${known}</option>`)}
        </select>
      </div>
      <button type="button" class="secondary" disabled=${busy} onClick=${() => void act(() => sendTestEvent(client, webhook.webhookId), "Test event sent.")}>Send a test event</button>
    </div>
    ${el(ReplayForm, { position, onPosition: setPosition, onReplay: replay, busy })}
    <p class="error" role="alert">${problem}</p>
    ${deliveries.error === undefined ? null : html`<p class="error" role="alert">Could not load the deliveries: ${deliveries.error.message}</p>`}
    ${deliveries.data === undefined
      ? html`<p class="muted">Loading…</p>`
      : deliveries.data.deliveries.length === 0
      ? html`<p class="empty">No deliveries${filter === "all" ? "" : ` ${filter}`} yet.</p>`
      : html`<div class="table-wrap"><table class="deliveries">
        <thead><tr><th scope="col">Event</th><th scope="col">Position</th><th scope="col">Status</th><th scope="col">Attempts</th>
          <th scope="col">Last answer</th><th scope="col">Next attempt</th><th scope="col"><span class="visually-hidden">Replay</span></th></tr></thead>
        <tbody>${deliveries.data.deliveries.map((delivery) => el(DeliveryRow, { delivery, onReplay: replay }, delivery.deliveryId))}</tbody>
      </table></div>`}
  </section>`
}

/** One webhook: its settings, enable/disable, its deliveries with status, replay and a test event. */
export const WebhookPage = ({ webhookId }: { readonly webhookId: string }) => {
  const { client } = useServices()
  const webhook = useResource(() => getWebhook(client, webhookId), [client, webhookId])
  const back = html`<p class="crumbs"><a href=${hrefOf({ page: "webhooks" })}>← Webhooks</a></p>`
  if (webhook.error?.status === 404) {
    return html`<section>${back}<h1 id="page-title" tabindex="-1">Webhook not found</h1>
      <p>It does not exist, was deleted, or this gateway has no webhooks.</p></section>`
  }
  const current = webhook.data
  if (current === undefined) {
    return webhook.error === undefined
      ? html`<p class="muted">Loading…</p>`
      : html`<p class="error" role="alert">Could not load the webhook: ${webhook.error.message}</p>`
  }
  return html`<section aria-labelledby="page-title">${back}
    <div class="page-head"><h1 id="page-title" tabindex="-1" class="break">${current.url}</h1>
      ${el(EnabledToggle, { webhook: current, onChanged: webhook.replace })}</div>
    <section class="card" aria-label="Settings"><dl class="facts">
      <dt>Events</dt><dd>${current.events.join(", ")}</dd>
      <dt>Sessions</dt><dd>${current.sessionIds === null ? "all, future ones too" : current.sessionIds.join(", ")}</dd>
      <dt>Description</dt><dd>${current.description ?? "–"}</dd>
      <dt>Created</dt><dd>${formatDateTime(current.createdAt)}</dd>
    </dl></section>
    ${el(Deliveries, { webhook: current })}
  </section>`
}
