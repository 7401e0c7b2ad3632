import { useEffect, useState } from "./vendor/preact-hooks.js"
import { html } from "./html.js"

/**
 * Copies `text` to the clipboard. Where the browser offers no clipboard (a
 * page over plain http on another host), it says how to copy by hand.
 */
export const CopyButton = ({ text, label }: { readonly text: string; readonly label: string }) => {
  const [outcome, setOutcome] = useState<"idle" | "copied" | "failed">("idle")
  useEffect(() => {
    if (outcome === "idle") return
    const timer = setTimeout(() => setOutcome("idle"), 2500)
    return () => clearTimeout(timer)
  }, [outcome])
  const copy = () => {
    if (navigator.clipboard === undefined) return setOutcome("failed")
    navigator.clipboard.writeText(text).then(() => setOutcome("copied"), () => setOutcome("failed"))
  }
  return html`<span class="copy">
    <button type="button" class="secondary" onClick=${copy}>${label}</button>
    <span class="copy-outcome" role="status">${
      outcome === "copied" ? "Copied." : outcome === "failed" ? "Could not copy: select it and press Ctrl+C (⌘C)." : ""
    }</span>
  </span>`
}
