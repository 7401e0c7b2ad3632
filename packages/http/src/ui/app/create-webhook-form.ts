import { useState } from "./vendor/preact-hooks.js"
import { asFailure } from "./api-client.js"
import { fieldChecked, fieldValue } from "./dom.js"
import { html } from "./html.js"
import { useServices } from "./services.js"
import { createWebhook, type NewWebhook } from "./webhooks-api.js"
import { type CreatedWebhook, DEFAULT_TYPES, SUBSCRIBABLE_TYPES } from "./webhooks-wire.js"

/** EVENTS.md's rules for a subscription, checked before sending; null when it will be taken. */
const problemOf = (url: string, events: ReadonlyArray<string>, description: string): string | null => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return "Enter the receiver's absolute URL, e.g. https://example.com/hooks/wa."
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return "The URL must start with http:// or https://."
  if (parsed.username !== "" || parsed.password !== "") return "The URL must not hold a user name or password."
  if (url.length > 2000) return "The URL has more than 2,000 characters."
  if (events.length === 0) return "Pick at least one event type."
  if ([...description].length > 200) return "The description has more than 200 characters."
  return null
}

const sessionIdsOf = (text: string): ReadonlyArray<string> | null => {
  const ids = text.split(/[\s,]+/).filter((id) => id !== "")
  return ids.length === 0 ? null : ids
}

/** A new subscription; the answer carries its secret, handed up to be shown once. */
export const CreateWebhookForm = ({ onCreated }: { readonly onCreated: (webhook: CreatedWebhook) => void }) => {
  const { client } = useServices()
  const [url, setUrl] = useState("")
  const [events, setEvents] = useState<ReadonlyArray<string>>(DEFAULT_TYPES)
  const [sessions, setSessions] = useState("")
  const [description, setDescription] = useState("")
  const [problem, setProblem] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const toggle = (type: string, on: boolean) =>
    setEvents(SUBSCRIBABLE_TYPES.filter((known) => (known === type ? on : events.includes(known))))

  const submit = async (event: Event) => {
    event.preventDefault()
    const invalid = problemOf(url.trim(), events, description.trim())
    if (invalid !== null) return setProblem(invalid)
    const webhook: NewWebhook = {
      url: url.trim(),
      events,
      sessionIds: sessionIdsOf(sessions),
      description: description.trim() === "" ? null : description.trim()
    }
    setBusy(true)
    setProblem(null)
    try {
      onCreated(await createWebhook(client, webhook))
      setUrl("")
      setSessions("")
      setDescription("")
      setEvents(DEFAULT_TYPES)
    } catch (error) {
      setProblem(`Could not create the webhook: ${asFailure(error).message}`)
    } finally {
      setBusy(false)
    }
  }

  return html`<form class="card" onSubmit=${submit} novalidate aria-labelledby="new-webhook-title">
    <h2 id="new-webhook-title">New webhook</h2>
    <div class="field">
      <label for="webhook-url">Receiver URL</label>
      <input id="webhook-url" type="url" maxlength="2000" placeholder="https://example.com/hooks/wa" value=${url}
        onInput=${(e: Event) => setUrl(fieldValue(e))} />
    </div>
    <fieldset>
      <legend>Events</legend>
      <div class="checks">${SUBSCRIBABLE_TYPES.map((type) => html`<label key=${type} class="check">
        <input type="checkbox" checked=${events.includes(type)} onChange=${(e: Event) => toggle(type, fieldChecked(e))} />
        <code>${type}</code>${type === "session.qr" ? html`<span class="hint"> (carries a pairing secret)</span>` : null}
      </label>`)}</div>
    </fieldset>
    <div class="field">
      <label for="webhook-sessions">Only these sessions <span class="muted">(ids, one per line; empty: every session, future ones too)</span></label>
      <textarea id="webhook-sessions" rows="2" value=${sessions} onInput=${(e: Event) => setSessions(fieldValue(e))}></textarea>
    </div>
    <div class="field">
      <label for="webhook-description">Description <span class="muted">(optional)</span></label>
      <input id="webhook-description" maxlength="200" value=${description} onInput=${(e: Event) => setDescription(fieldValue(e))} />
    </div>
    <p class="error" role="alert">${problem}</p>
    <button type="submit" disabled=${busy}>${busy ? "Creating…" : "Create webhook"}</button>
  </form>`
}
