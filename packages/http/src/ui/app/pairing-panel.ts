import { el, html } from "./html.js"
import { PairingCodeForm } from "./pairing-code-form.js"
import type { PairingMethod } from "./pairing-method.js"
import { QrPanel } from "./qr-panel.js"
import type { PairingCode } from "./sessions-wire.js"

export interface PairingPanelProps {
  readonly sessionId: string
  /** Which way is on show; null until the user picks one (or a QR pairing is already running). */
  readonly method: PairingMethod | null
  readonly code: PairingCode | null
  readonly onQr: () => void
  readonly onCode: (code: PairingCode) => void
  /** A pairing attempt started (a QR on show, a code issued): the session changed. */
  readonly onPairingStarted: () => void
}

/** The two ways to link a phone, side by side on a wide screen. Unmounted once paired, so the QR disappears. */
export const PairingPanel = ({ sessionId, method, code, onQr, onCode, onPairingStarted }: PairingPanelProps) =>
  html`<section class="card" aria-labelledby="pairing-title">
    <h2 id="pairing-title">Link a phone</h2>
    <div class="pair-grid">
      <div class="pair-way">
        <h3>Scan a QR code</h3>
        ${method === "qr"
          ? el(QrPanel, { sessionId, onShown: onPairingStarted })
          : html`<p class="hint">Shows a QR code that refreshes by itself until a phone scans it.</p>
            <button type="button" onClick=${onQr}>Show QR code</button>`}
      </div>
      <div class="pair-way">
        <h3>Or use a pairing code</h3>
        ${el(PairingCodeForm, {
          sessionId,
          code: method === "code" ? code : null,
          onCode: (next) => {
            onCode(next)
            onPairingStarted()
          }
        })}
      </div>
    </div>
  </section>`
