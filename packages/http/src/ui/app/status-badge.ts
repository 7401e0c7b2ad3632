import { html } from "./html.js"
import type { SessionStatus } from "./sessions-wire.js"

const STATUS_LABELS: Readonly<Record<SessionStatus, string>> = {
  unpaired: "unpaired",
  pairing: "pairing",
  paired: "paired",
  logged_out: "logged out"
}

export const StatusBadge = ({ status }: { readonly status: SessionStatus }) =>
  html`<span class=${`badge status-${status}`} data-status=${status}>${STATUS_LABELS[status]}</span>`

/** Colour is never the only signal: the word says it too. */
export const ConnectedBadge = ({ connected }: { readonly connected: boolean }) =>
  html`<span class=${connected ? "badge online" : "badge offline"} data-connected=${String(connected)}>
    <span class="dot" aria-hidden="true"></span>${connected ? "connected" : "offline"}
  </span>`
