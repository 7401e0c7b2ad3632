import { useEffect, useState } from "./vendor/preact-hooks.js"
import { EventTimeline } from "./event-timeline.js"
import { el, html } from "./html.js"
import { IdentityCard } from "./identity-card.js"
import { PairingPanel } from "./pairing-panel.js"
import { latestPairingMethod, type PairingMethod } from "./pairing-method.js"
import { hrefOf } from "./router.js"
import { SessionActions } from "./session-actions.js"
import { useServices } from "./services.js"
import { getSession, sessionEvents } from "./sessions-api.js"
import type { PairingCode, Session } from "./sessions-wire.js"
import { SimulatedPhonePanel } from "./simulated-phone-panel.js"
import { ConnectedBadge, StatusBadge } from "./status-badge.js"
import { concernsSession, useLiveReload } from "./use-live-reload.js"
import { useResource } from "./use-resource.js"

const Missing = () =>
  html`<section><h1 id="page-title" tabindex="-1">Session not found</h1>
    <p>It does not exist, was deleted, or belongs to another organization.</p>
    <p><a href=${hrefOf({ page: "sessions" })}>Back to the sessions</a></p></section>`

/** One session: its state live, pairing (QR or code), identity, actions, the simulated phone, its history. */
export const SessionPage = ({ sessionId }: { readonly sessionId: string }) => {
  const { client, engine } = useServices()
  const session = useResource(() => getSession(client, sessionId), [client, sessionId])
  const version = session.data?.version
  const events = useResource(() => sessionEvents(client, sessionId), [client, sessionId, version])
  useLiveReload(session.reload, concernsSession(sessionId))
  const [chosen, setChosen] = useState<PairingMethod | null>(null)
  const [code, setCode] = useState<PairingCode | null>(null)
  const status = session.data?.status
  // Once paired the choice is spent: after a logout nothing starts pairing until asked again.
  useEffect(() => {
    if (status !== "paired") return
    setChosen(null)
    setCode(null)
  }, [status])

  if (session.error?.status === 404) return el(Missing, {})
  const current = session.data
  if (current === undefined) {
    return session.error === undefined
      ? html`<p class="muted">Loading…</p>`
      : html`<p class="error" role="alert">Could not load the session: ${session.error.message}</p>`
  }
  // After a reload a running QR pairing shows again; a running code pairing is never replaced by a QR unasked.
  const method = chosen ?? (current.status === "pairing" ? latestPairingMethod(events.data ?? []) : null)
  const show = (next: Session) => session.replace(next)

  return html`<section aria-labelledby="page-title" data-session-id=${current.sessionId}>
    <p class="crumbs"><a href=${hrefOf({ page: "sessions" })}>← Sessions</a></p>
    <div class="page-head">
      <h1 id="page-title" tabindex="-1">${current.name === "" ? "Unnamed session" : current.name}</h1>
      <div class="badges" aria-live="polite">
        ${el(StatusBadge, { status: current.status })} ${el(ConnectedBadge, { connected: current.connected })}
      </div>
    </div>
    <p class="id">${current.sessionId}</p>
    ${session.error === undefined ? null : html`<p class="error" role="alert">Could not refresh: ${session.error.message}</p>`}
    <div class="columns">
      <div class="column">
        ${current.status === "paired"
          ? el(IdentityCard, { session: current })
          : el(PairingPanel, {
            sessionId,
            method,
            code,
            onQr: () => {
              setCode(null)
              setChosen("qr")
            },
            onCode: (next) => {
              setCode(next)
              setChosen("code")
            },
            onPairingStarted: session.reload
          })}
        ${engine === "simulator" ? el(SimulatedPhonePanel, { session: current, code, onSession: show }) : null}
        ${el(SessionActions, { session: current, onSession: show })}
      </div>
      <section class="card column" aria-labelledby="history-title">
        <h2 id="history-title">History</h2>
        ${events.data === undefined ? html`<p class="muted">Loading…</p>` : el(EventTimeline, { events: events.data })}
      </section>
    </div>
  </section>`
}
