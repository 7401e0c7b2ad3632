import { useEffect, useRef, useState } from "./vendor/preact-hooks.js"
import { asFailure } from "./api-client.js"
import { fieldValue } from "./dom.js"
import { el, html } from "./html.js"
import { formatDateTime } from "./format.js"
import { useServices } from "./services.js"
import { useLiveReload } from "./use-live-reload.js"
import { useResource } from "./use-resource.js"
import { listDeliveries, replayDeliveries, sendTestEvent } from "./webhooks-api.js"
import type { Delivery, DeliveryStatus } from "./webhooks-wire.js"

const FILTERS: ReadonlyArray<DeliveryStatus | "all"> = ["all", "pending", "succeeded", "failed"]

// Deliveries change on the gateway's own time, with nothing on the event
// stream to say so: an event's delivery is queued moments after the event, a
// replay's as the log is read again, and a pending one is answered or retried.
/** Looked at again this long after an event or a replay, once the gateway has queued what follows. */
const FOLLOW_UP_MS = 1000
/** Looked at again this often while one is pending (while in flight its `nextAttemptAt` is the lease's end). */
const PENDING_REFRESH_MS = 2000

const DeliveryRow = ({ delivery, onReplay }: { readonly delivery: Delivery; readonly onReplay: (position: number) => void }) =>
  html`<tr data-delivery-id=${delivery.deliveryId} data-event-type=${delivery.eventType} data-delivery-status=${delivery.status}>
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

export interface DeliveriesProps {
  readonly webhookId: string
  /** A delivery changed: the webhook may have too (a `410 Gone` disables it). */
  readonly onChanged: () => void
}

/** A webhook's deliveries with their status, filtered; replay from a position; a test event. */
export const Deliveries = ({ webhookId, onChanged }: DeliveriesProps) => {
  const { client, notify } = useServices()
  const [filter, setFilter] = useState<DeliveryStatus | "all">("all")
  const deliveries = useResource(
    () => listDeliveries(client, webhookId, filter === "all" ? null : filter),
    [client, webhookId, filter]
  )
  const followUp = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const reloadAndFollowUp = () => {
    deliveries.reload()
    clearTimeout(followUp.current)
    followUp.current = setTimeout(deliveries.reload, FOLLOW_UP_MS)
  }
  useEffect(() => () => clearTimeout(followUp.current), [])
  useLiveReload(reloadAndFollowUp)
  const shown = deliveries.data?.deliveries
  useEffect(() => {
    if (shown?.some((delivery) => delivery.status === "pending") !== true) return
    const timer = setTimeout(deliveries.reload, PENDING_REFRESH_MS)
    return () => clearTimeout(timer)
  }, [shown])
  const fingerprint = shown?.map((d) => `${d.deliveryId}:${d.status}:${d.attempts}`).join(",")
  useEffect(() => {
    if (fingerprint !== undefined) onChanged()
  }, [fingerprint])
  const [position, setPosition] = useState("0")
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)

  const act = async (call: () => Promise<void>, done: string) => {
    setBusy(true)
    setProblem(null)
    try {
      await call()
      notify(done)
      reloadAndFollowUp()
    } catch (error) {
      setProblem(asFailure(error).message)
    } finally {
      setBusy(false)
    }
  }
  const replay = (from: number) => {
    setPosition(String(from))
    void act(() => replayDeliveries(client, webhookId, from), `Replay from position ${from} queued.`)
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
      <button type="button" class="secondary" disabled=${busy} onClick=${() => void act(() => sendTestEvent(client, webhookId), "Test event sent.")}>Send a test event</button>
      <button type="button" class="secondary" onClick=${deliveries.reload}>Refresh</button>
    </div>
    ${el(ReplayForm, { position, onPosition: setPosition, onReplay: replay, busy })}
    <p class="error" role="alert">${problem}</p>
    ${deliveries.error === undefined ? null : html`<p class="error" role="alert">Could not load the deliveries: ${deliveries.error.message}</p>`}
    ${shown === undefined
      ? html`<p class="muted">Loading…</p>`
      : shown.length === 0
      ? html`<p class="empty">No deliveries${filter === "all" ? "" : ` ${filter}`} yet.</p>`
      : html`<div class="table-wrap"><table class="deliveries">
        <thead><tr><th scope="col">Event</th><th scope="col">Position</th><th scope="col">Status</th><th scope="col">Attempts</th>
          <th scope="col">Last answer</th><th scope="col">Next attempt</th><th scope="col"><span class="visually-hidden">Replay</span></th></tr></thead>
        <tbody>${shown.map((delivery) => el(DeliveryRow, { delivery, onReplay: replay }, delivery.deliveryId))}</tbody>
      </table></div>`}
  </section>`
}
