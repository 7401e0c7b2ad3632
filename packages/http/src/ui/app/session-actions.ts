import { useState } from "./vendor/preact-hooks.js"
import { asFailure } from "./api-client.js"
import { ConfirmDialog } from "./confirm-dialog.js"
import { el, html } from "./html.js"
import { navigate } from "./router.js"
import { useServices } from "./services.js"
import { deleteSession, logout } from "./sessions-api.js"
import type { Session } from "./sessions-wire.js"

/** Log out (paired only) and delete, the latter behind a confirmation. */
export const SessionActions = ({ session, onSession }: { readonly session: Session; readonly onSession: (session: Session) => void }) => {
  const { client, notify } = useServices()
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState<"logout" | "delete" | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const label = session.name === "" ? session.sessionId : `“${session.name}”`

  const run = async (action: "logout" | "delete", effect: () => Promise<void>) => {
    setBusy(action)
    setProblem(null)
    try {
      await effect()
    } catch (error) {
      setProblem(`Could not ${action === "logout" ? "log out" : "delete"}: ${asFailure(error).message}`)
    } finally {
      setBusy(null)
    }
  }

  const logOut = () =>
    run("logout", async () => {
      onSession(await logout(client, session.sessionId))
      notify(`Logged out ${label}: the device is unlinked from WhatsApp.`)
    })

  const remove = () =>
    run("delete", async () => {
      await deleteSession(client, session.sessionId)
      setConfirming(false)
      notify(`Deleted session ${label}.`)
      navigate({ page: "sessions" })
    })

  return html`<section class="card" aria-labelledby="actions-title">
    <h2 id="actions-title">Manage</h2>
    <div class="actions">
      ${session.status === "paired"
        ? html`<button type="button" class="secondary" disabled=${busy !== null} onClick=${logOut}>${busy === "logout" ? "Logging out…" : "Log out"}</button>`
        : null}
      <button type="button" class="danger" disabled=${busy !== null} onClick=${() => setConfirming(true)}>Delete session…</button>
    </div>
    <p class="error" role="alert">${problem}</p>
    ${el(ConfirmDialog, {
      open: confirming,
      title: `Delete session ${label}?`,
      message: "This removes its WhatsApp keys and personal data from the gateway for good. It cannot be undone. Log out first to unlink the device on the phone cleanly.",
      confirmLabel: "Delete for good",
      busy: busy === "delete",
      onConfirm: () => void remove(),
      onCancel: () => setConfirming(false)
    })}
  </section>`
}
