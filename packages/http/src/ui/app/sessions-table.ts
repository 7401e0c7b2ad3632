import { el, html } from "./html.js"
import { formatAgo, formatDateTime } from "./format.js"
import { hrefOf } from "./router.js"
import type { Session } from "./sessions-wire.js"
import { ConnectedBadge, StatusBadge } from "./status-badge.js"
import { useNow } from "./use-now.js"

const Dash = () => html`<span class="muted" aria-label="none">–</span>`

const SessionRow = ({ session, now }: { readonly session: Session; readonly now: number }) =>
  html`<tr data-session-id=${session.sessionId}>
    <td data-label="Name"><div>
      <a href=${hrefOf({ page: "session", sessionId: session.sessionId })}>${session.name === "" ? "Unnamed session" : session.name}</a>
      <div class="id">${session.sessionId}</div>
    </div></td>
    <td data-label="Status" data-col="status">${el(StatusBadge, { status: session.status })}</td>
    <td data-label="Connected" data-col="connected">${el(ConnectedBadge, { connected: session.connected })}</td>
    <td data-label="Phone" data-col="phone">${session.phoneNumber ?? el(Dash, {})}</td>
    <td data-label="Push name" data-col="push-name">${session.pushName ?? el(Dash, {})}</td>
    <td data-label="Updated"><time datetime=${session.updatedAt} title=${formatDateTime(session.updatedAt)}>${formatAgo(session.updatedAt, now)}</time></td>
  </tr>`

/** On a narrow screen each row becomes a card, its cells labelled (app.css). */
export const SessionsTable = ({ sessions }: { readonly sessions: ReadonlyArray<Session> }) => {
  const now = useNow(10_000)
  if (sessions.length === 0) return html`<p class="empty">No sessions yet. Create one above, then pair it with a phone.</p>`
  return html`<div class="table-wrap"><table class="sessions">
    <caption class="visually-hidden">Sessions of your organization, newest first</caption>
    <thead><tr>
      <th scope="col">Name</th><th scope="col">Status</th><th scope="col">Connected</th>
      <th scope="col">Phone</th><th scope="col">Push name</th><th scope="col">Updated</th>
    </tr></thead>
    <tbody>${sessions.map((session) => el(SessionRow, { session, now }, session.sessionId))}</tbody>
  </table></div>`
}
