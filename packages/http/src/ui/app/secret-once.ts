import { CopyButton } from "./copy-button.js"
import { el, html } from "./html.js"

/**
 * A webhook's signing secret, on screen this once (the gateway never shows it
 * again); dismissing it drops it from the page.
 */
export const SecretOnce = ({ url, secret, onDismiss }: { readonly url: string; readonly secret: string; readonly onDismiss: () => void }) =>
  html`<section class="card secret" aria-labelledby="secret-title">
    <h2 id="secret-title">Signing secret for ${url}</h2>
    <p>Shown only now. Store it with the receiver: it checks the <code>webhook-signature</code> header with it.</p>
    <p><code class="secret-value" data-secret>${secret}</code></p>
    <div class="actions">
      ${el(CopyButton, { text: secret, label: "Copy secret" })}
      <button type="button" onClick=${onDismiss}>I have stored it</button>
    </div>
  </section>`
