import { useState } from "./vendor/preact-hooks.js"
import { el, html } from "./html.js"
import { CreateSessionForm } from "./create-session-form.js"
import { useServices } from "./services.js"
import { listSessions } from "./sessions-api.js"
import { SessionsTable } from "./sessions-table.js"
import { useLiveReload } from "./use-live-reload.js"
import { useResource } from "./use-resource.js"

const PAGE_SIZE = 50

/** Every session of the organization, newest first, live. */
export const SessionsPage = () => {
  const { client } = useServices()
  // The tokens of the pages before this one, so "Newer" can go back.
  const [pages, setPages] = useState<ReadonlyArray<string | null>>([null])
  const pageToken = pages.at(-1) ?? null
  const list = useResource(() => listSessions(client, { pageSize: PAGE_SIZE, pageToken }), [client, pageToken])
  useLiveReload(list.reload)

  return html`<section aria-labelledby="page-title">
    <div class="page-head">
      <h1 id="page-title" tabindex="-1">Sessions</h1>
    </div>
    ${el(CreateSessionForm, {})}
    ${list.error === undefined ? null : html`<p class="error" role="alert">Could not load the sessions: ${list.error.message}</p>`}
    ${list.data === undefined ? html`<p class="muted">Loading…</p>` : el(SessionsTable, { sessions: list.data.sessions })}
    <div class="pager">
      ${pages.length > 1 ? html`<button type="button" class="secondary" onClick=${() => setPages(pages.slice(0, -1))}>← Newer</button>` : null}
      ${list.data?.nextPageToken == null ? null : html`<button type="button" class="secondary"
          onClick=${() => setPages([...pages, list.data?.nextPageToken ?? null])}>Older →</button>`}
    </div>
  </section>`
}
