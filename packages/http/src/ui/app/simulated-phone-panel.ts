import { useEffect, useState } from "./vendor/preact-hooks.js"
import { asFailure } from "./api-client.js"
import { fieldValue } from "./dom.js"
import { html } from "./html.js"
import { phoneProblem } from "./phone.js"
import { useServices } from "./services.js"
import type { PairingCode, Session } from "./sessions-wire.js"
import { dropConnection, enterCode, scanQr, unlinkDevice } from "./simulator-api.js"

export interface SimulatedPhonePanelProps {
  readonly session: Session
  /** The pairing code on show, entered by default. */
  readonly code: PairingCode | null
  readonly onSession: (session: Session) => void
}

type Action = "scan" | "enterCode" | "unlink" | "drop"

/**
 * The simulator engine's phone (`/simulator/v1`): what a person would do on
 * a real phone, as buttons, so the whole lifecycle runs in the browser.
 */
export const SimulatedPhonePanel = ({ session, code, onSession }: SimulatedPhonePanelProps) => {
  const { client, notify } = useServices()
  const [phoneNumber, setPhoneNumber] = useState("628123456789")
  const [pushName, setPushName] = useState("Simulated Phone")
  const [typedCode, setTypedCode] = useState(code?.code ?? "")
  const [busy, setBusy] = useState<Action | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  useEffect(() => setTypedCode(code?.code ?? ""), [code])

  const act = async (action: Action, call: () => Promise<Session>, done: string) => {
    setBusy(action)
    setProblem(null)
    try {
      onSession(await call())
      notify(done)
    } catch (error) {
      setProblem(asFailure(error).message)
    } finally {
      setBusy(null)
    }
  }

  const scan = () => {
    const invalid = phoneProblem(phoneNumber)
    if (invalid !== null) return setProblem(`Phone number: ${invalid}`)
    void act("scan", () => scanQr(client, session.sessionId, { phoneNumber, pushName }), "The simulated phone scanned the QR code.")
  }
  const paired = session.status === "paired"

  return html`<section class="card simulator" aria-labelledby="simulator-title">
    <h2 id="simulator-title">Simulated phone</h2>
    <p class="hint">This gateway runs the simulator engine: no real phone is involved. These buttons do what the phone's owner would.</p>
    <div class="sim-grid">
      <div class="field">
        <label for="sim-phone">Its phone number</label>
        <input id="sim-phone" inputmode="numeric" value=${phoneNumber} onInput=${(e: Event) => setPhoneNumber(fieldValue(e))} />
      </div>
      <div class="field">
        <label for="sim-push-name">Its push name</label>
        <input id="sim-push-name" maxlength="100" value=${pushName} onInput=${(e: Event) => setPushName(fieldValue(e))} />
      </div>
      <div class="field">
        <label for="sim-code">Pairing code to enter</label>
        <input id="sim-code" maxlength="20" autocomplete="off" value=${typedCode} onInput=${(e: Event) => setTypedCode(fieldValue(e))} />
      </div>
    </div>
    <div class="actions">
      <button type="button" disabled=${busy !== null || paired} onClick=${scan}>Scan the QR code</button>
      <button type="button" disabled=${busy !== null || paired || typedCode === ""}
        onClick=${() => void act("enterCode", () => enterCode(client, session.sessionId, { code: typedCode, pushName }), "The simulated phone entered the pairing code.")}>Enter the code</button>
      <button type="button" class="secondary" disabled=${busy !== null || !paired}
        onClick=${() => void act("unlink", () => unlinkDevice(client, session.sessionId), "The simulated phone unlinked this device.")}>Unlink the device</button>
      <button type="button" class="secondary" disabled=${busy !== null || !paired || !session.connected}
        onClick=${() => void act("drop", () => dropConnection(client, session.sessionId), "The connection dropped; it comes back in a few seconds.")}>Drop the connection</button>
    </div>
    <p class="error" role="alert">${problem}</p>
  </section>`
}
