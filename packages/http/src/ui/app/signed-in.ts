import { useEffect, useMemo, useState } from "./vendor/preact-hooks.js"
import { createApiClient } from "./api-client.js"
import { el, html } from "./html.js"
import { DEFAULT_LIVE_OPTIONS, type LiveMode, startLiveUpdates } from "./live-updates.js"
import { fetchEngine } from "./readiness.js"
import { hrefOf, type Route, useRoute } from "./router.js"
import { type Services, ServicesContext } from "./services.js"
import { SessionPage } from "./session-page.js"
import { SessionsPage } from "./sessions-page.js"
import { useLiveMode } from "./use-live-mode.js"
import { WebhookPage } from "./webhook-page.js"
import { WebhooksPage } from "./webhooks-page.js"

const LIVE_LABELS: Readonly<Record<LiveMode, string>> = {
  connecting: "connecting…",
  stream: "live",
  polling: `reconnecting… (checking every ${DEFAULT_LIVE_OPTIONS.pollIntervalMs / 1000} s)`
}

const NOTICE_MS = 6000

const Page = ({ route }: { readonly route: Route }) => {
  switch (route.page) {
    case "sessions":
      return el(SessionsPage, {})
    case "session":
      return el(SessionPage, { sessionId: route.sessionId }, route.sessionId)
    case "webhooks":
      return el(WebhooksPage, {})
    case "webhook":
      return el(WebhookPage, { webhookId: route.webhookId }, route.webhookId)
    case "unknown":
      return html`<section><h1 id="page-title" tabindex="-1">No such page</h1>
        <p><a href=${hrefOf({ page: "sessions" })}>Go to the sessions</a></p></section>`
  }
}

export interface SignedInProps {
  readonly token: string
  /** `reason` says why when the gateway stopped accepting the token; null when the user signed out. */
  readonly onSignOut: (reason: string | null) => void
}

/** The signed-in shell: header, navigation, the page of the route, and the services every page uses. */
export const SignedIn = ({ token, onSignOut }: SignedInProps) => {
  const client = useMemo(
    () => createApiClient(token, () => onSignOut("The gateway no longer accepts this key or token. Sign in again.")),
    [token]
  )
  const live = useMemo(() => startLiveUpdates(client), [client])
  useEffect(() => () => live.stop(), [live])
  const mode = useLiveMode(live)
  const [engine, setEngine] = useState<string | null>(null)
  useEffect(() => void fetchEngine().then(setEngine), [])
  const [notice, setNotice] = useState<{ readonly message: string; readonly at: number } | null>(null)
  useEffect(() => {
    if (notice === null) return
    const timer = setTimeout(() => setNotice(null), NOTICE_MS)
    return () => clearTimeout(timer)
  }, [notice])
  const route = useRoute()
  // A keyboard or screen-reader user lands on the new page's heading, not back at the top.
  useEffect(() => document.getElementById("page-title")?.focus({ preventScroll: false }), [route])

  const services = useMemo<Services>(
    () => ({ client, live, engine, notify: (message) => setNotice({ message, at: Date.now() }) }),
    [client, live, engine]
  )
  const section = route.page === "session" || route.page === "sessions" ? "sessions" : route.page === "unknown" ? null : "webhooks"

  return html`<${ServicesContext.Provider} value=${services}>
    <a class="skip" href="#main">Skip to content</a>
    <header class="top">
      <a class="brand" href=${hrefOf({ page: "sessions" })}>wa-gateway</a>
      <nav aria-label="Main">
        <a href=${hrefOf({ page: "sessions" })} aria-current=${section === "sessions" ? "page" : "false"}>Sessions</a>
        <a href=${hrefOf({ page: "webhooks" })} aria-current=${section === "webhooks" ? "page" : "false"}>Webhooks</a>
      </nav>
      <span class="meta">
        <span class=${`live live-${mode}`} data-live-mode=${mode}>${LIVE_LABELS[mode]}</span>
        ${engine === null ? null : html`<span class="engine">engine: ${engine}</span>`}
      </span>
      <button type="button" class="secondary sign-out" onClick=${() => onSignOut(null)}>Sign out</button>
    </header>
    <div class="notice-area" role="status" aria-live="polite">${notice === null ? null : html`<p class="notice">${notice.message}</p>`}</div>
    <main id="main" tabindex="-1">${el(Page, { route })}</main>
  <//>`
}
