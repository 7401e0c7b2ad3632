import { useState } from "./vendor/preact-hooks.js"
import { asFailure } from "./api-client.js"
import { html } from "./html.js"
import { useServices } from "./services.js"
import { setWebhookEnabled } from "./webhooks-api.js"
import type { Webhook } from "./webhooks-wire.js"

/** Enable or disable; the row shows the state in words and the button says what it will do. */
export const EnabledToggle = ({ webhook, onChanged }: { readonly webhook: Webhook; readonly onChanged: (webhook: Webhook) => void }) => {
  const { client } = useServices()
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)
  const flip = async () => {
    setBusy(true)
    setProblem(null)
    try {
      onChanged(await setWebhookEnabled(client, webhook.webhookId, !webhook.enabled))
    } catch (error) {
      setProblem(asFailure(error).message)
    } finally {
      setBusy(false)
    }
  }
  return html`<span class="toggle">
    <span class=${webhook.enabled ? "badge online" : "badge offline"}>${webhook.enabled ? "enabled" : "disabled"}</span>
    <button type="button" class="secondary small" disabled=${busy} onClick=${flip}>${webhook.enabled ? "Disable" : "Enable"}</button>
    ${problem === null ? null : html`<span class="error" role="alert">${problem}</span>`}
  </span>`
}
