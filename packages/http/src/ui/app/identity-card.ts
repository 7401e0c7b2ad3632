import { html } from "./html.js"
import { useServices } from "./services.js"
import { me } from "./sessions-api.js"
import type { Session } from "./sessions-wire.js"
import { useResource } from "./use-resource.js"

/** `GET /me`: who the linked WhatsApp account is. Reloaded when the session changes. */
export const IdentityCard = ({ session }: { readonly session: Session }) => {
  const { client } = useServices()
  const identity = useResource(() => me(client, session.sessionId), [client, session.sessionId, session.version, session.connected])
  const data = identity.data
  return html`<section class="card" aria-labelledby="identity-title">
    <h2 id="identity-title">Linked account</h2>
    ${identity.error === undefined ? null : html`<p class="error" role="alert">Could not read the identity: ${identity.error.message}</p>`}
    ${data === undefined ? html`<p class="muted">Loading…</p>` : html`<dl class="facts">
      <dt>Phone number</dt><dd data-field="phoneNumber">${data.phoneNumber}</dd>
      <dt>Push name</dt><dd data-field="pushName">${data.pushName ?? "–"}</dd>
      <dt>WhatsApp id</dt><dd class="mono">${data.waJid}</dd>
      <dt>Linked id (LID)</dt><dd class="mono">${data.waLid ?? "–"}</dd>
      <dt>Connected</dt><dd>${data.connected ? "yes" : "no"}</dd>
    </dl>`}
  </section>`
}
