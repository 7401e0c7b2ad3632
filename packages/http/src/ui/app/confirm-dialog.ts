import { useEffect, useRef } from "./vendor/preact-hooks.js"
import { html } from "./html.js"

export interface ConfirmDialogProps {
  readonly open: boolean
  readonly title: string
  readonly message: string
  readonly confirmLabel: string
  readonly busy: boolean
  readonly onConfirm: () => void
  readonly onCancel: () => void
}

/**
 * A modal question (the native <dialog>: it traps focus and Escape closes
 * it). Focus starts on Cancel, so Enter never destroys anything by accident.
 */
export const ConfirmDialog = ({ open, title, message, confirmLabel, busy, onConfirm, onCancel }: ConfirmDialogProps) => {
  const dialog = useRef<HTMLDialogElement>(null)
  const cancel = useRef<HTMLButtonElement>(null)
  useEffect(() => {
    const element = dialog.current
    if (element === null) return
    if (open && !element.open) {
      element.showModal()
      cancel.current?.focus()
    }
    if (!open && element.open) element.close()
  }, [open])

  return html`<dialog ref=${dialog} class="confirm" aria-labelledby="confirm-title" aria-describedby="confirm-message"
      onCancel=${(event: Event) => {
        event.preventDefault()
        onCancel()
      }}>
    <h2 id="confirm-title">${title}</h2>
    <p id="confirm-message">${message}</p>
    <div class="actions">
      <button type="button" class="secondary" ref=${cancel} onClick=${onCancel}>Cancel</button>
      <button type="button" class="danger" disabled=${busy} onClick=${onConfirm}>${busy ? "Working…" : confirmLabel}</button>
    </div>
  </dialog>`
}
