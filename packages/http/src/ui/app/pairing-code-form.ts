import { useState } from "./vendor/preact-hooks.js"
import { asFailure } from "./api-client.js"
import { CopyButton } from "./copy-button.js"
import { fieldValue } from "./dom.js"
import { el, html } from "./html.js"
import { formatTime } from "./format.js"
import { phoneProblem } from "./phone.js"
import { useServices } from "./services.js"
import { requestPairingCode } from "./sessions-api.js"
import type { PairingCode } from "./sessions-wire.js"

export interface PairingCodeFormProps {
  readonly sessionId: string
  /** The code on show, if any (the session page keeps it, so the simulated phone can enter it). */
  readonly code: PairingCode | null
  readonly onCode: (code: PairingCode) => void
}

/** Pairing without a camera: the phone number (checked as the API checks it) → an 8-character code, shown large. */
export const PairingCodeForm = ({ sessionId, code, onCode }: PairingCodeFormProps) => {
  const { client } = useServices()
  const [phone, setPhone] = useState("")
  const [problem, setProblem] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const submit = async (event: Event) => {
    event.preventDefault()
    const invalid = phoneProblem(phone)
    if (invalid !== null) return setProblem(invalid)
    setBusy(true)
    setProblem(null)
    try {
      onCode(await requestPairingCode(client, sessionId, phone))
    } catch (error) {
      setProblem(`Could not get a pairing code: ${asFailure(error).message}`)
    } finally {
      setBusy(false)
    }
  }

  return html`<div class="pairing-code">
    <form onSubmit=${submit} novalidate aria-label="Pair with a phone number">
      <label for="pairing-phone">Phone number</label>
      <p id="pairing-phone-help" class="hint">International format, digits only, no +: 8 to 15 digits, e.g. 628123456789.</p>
      <div class="row">
        <input id="pairing-phone" name="phone" inputmode="numeric" autocomplete="tel" maxlength="20" placeholder="628123456789"
          value=${phone} onInput=${(e: Event) => setPhone(fieldValue(e))}
          aria-describedby="pairing-phone-help" aria-invalid=${problem === null ? "false" : "true"} aria-errormessage="pairing-phone-problem" />
        <button type="submit" disabled=${busy}>${busy ? "Asking…" : "Get pairing code"}</button>
      </div>
      <p id="pairing-phone-problem" class="error" role="alert">${problem}</p>
    </form>
    ${code === null ? null : html`<div class="code-display">
      <output class="code" for="pairing-phone" aria-label="Pairing code">${code.code}</output>
      ${el(CopyButton, { text: code.code, label: "Copy code" })}
      <p class="hint">In WhatsApp on that phone: <strong>Linked devices → Link a device → Link with phone number instead</strong>, and type this code. Valid until ${formatTime(new Date(code.expiresAt))}.</p>
    </div>`}
  </div>`
}
