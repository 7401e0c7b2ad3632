import { useEffect, useState } from "./vendor/preact-hooks.js"
import { asFailure } from "./api-client.js"
import { html } from "./html.js"
import { useServices } from "./services.js"
import { getSession, qrImage } from "./sessions-api.js"
import { useNow } from "./use-now.js"

type QrState =
  | { readonly kind: "loading" }
  | { readonly kind: "showing"; readonly url: string; readonly expiresAt: Date | null }
  | { readonly kind: "stopped"; readonly message: string }

/** When the gateway does not say when the QR rotates, look again after this long. */
const UNKNOWN_EXPIRY_MS = 15_000

/**
 * The pairing QR as an image: `GET /qr` as a PNG with the bearer header,
 * shown from a blob URL, fetched again when it rotates (`x-qr-expires-at`).
 */
export interface QrPanelProps {
  readonly sessionId: string
  /** A QR is on show: the session is pairing now (the first `GET /qr` started it). */
  readonly onShown: () => void
}

export const QrPanel = ({ sessionId, onShown }: QrPanelProps) => {
  const { client } = useServices()
  const [state, setState] = useState<QrState>({ kind: "loading" })
  const [attempt, setAttempt] = useState(0)
  const now = useNow(1000)

  useEffect(() => {
    let cancelled = false
    let timer: ReturnType<typeof setTimeout> | undefined
    let url: string | undefined
    const stop = (message: string) => !cancelled && setState({ kind: "stopped", message })

    const show = async () => {
      try {
        const qr = await qrImage(client, sessionId)
        if (cancelled) return
        const previous = url
        url = URL.createObjectURL(qr.image)
        setState({ kind: "showing", url, expiresAt: qr.expiresAt })
        if (previous === undefined) onShown()
        else URL.revokeObjectURL(previous)
        const wait = qr.expiresAt === null ? UNKNOWN_EXPIRY_MS : Math.max(250, qr.expiresAt.getTime() - Date.now() + 150)
        timer = setTimeout(() => void rotate(), wait)
      } catch (error) {
        stop(`Could not get a QR code: ${asFailure(error).message}`)
      }
    }

    // Only while that pairing still runs: on an unpaired session `GET /qr` would start another one.
    const rotate = async () => {
      try {
        const session = await getSession(client, sessionId)
        if (cancelled) return
        if (session.status === "pairing") return show()
        stop(session.status === "paired" ? "Paired." : "The QR code expired before a phone scanned it.")
      } catch (error) {
        stop(`Could not refresh the QR code: ${asFailure(error).message}`)
      }
    }

    setState({ kind: "loading" })
    void show()
    return () => {
      cancelled = true
      clearTimeout(timer)
      if (url !== undefined) URL.revokeObjectURL(url)
    }
  }, [client, sessionId, attempt])

  if (state.kind === "loading") return html`<div class="qr-frame"><p class="muted">Getting a QR code…</p></div>`
  if (state.kind === "stopped") {
    return html`<div class="qr-frame stopped">
      <p role="status">${state.message}</p>
      <button type="button" onClick=${() => setAttempt((n) => n + 1)}>Show a new QR code</button>
    </div>`
  }
  const seconds = state.expiresAt === null ? null : Math.max(0, Math.ceil((state.expiresAt.getTime() - now) / 1000))
  return html`<figure class="qr-frame">
    <img class="qr" src=${state.url} width="300" height="300" alt="QR code to link a phone to this session" />
    <figcaption>
      In WhatsApp on the phone: <strong>Settings → Linked devices → Link a device</strong>, then scan.
      ${seconds === null ? null : html`<span class="muted"> It changes by itself (next in ${seconds} s).</span>`}
    </figcaption>
  </figure>`
}
