import { useState } from "./vendor/preact-hooks.js"
import { asFailure } from "./api-client.js"
import { fieldValue } from "./dom.js"
import { html } from "./html.js"
import { navigate } from "./router.js"
import { useServices } from "./services.js"
import { createSession } from "./sessions-api.js"

const MAX_NAME = 100

/** Creates an unpaired session and opens its page, where it is paired. */
export const CreateSessionForm = () => {
  const { client, notify } = useServices()
  const [name, setName] = useState("")
  const [problem, setProblem] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const submit = async (event: Event) => {
    event.preventDefault()
    if ([...name].length > MAX_NAME) return setProblem(`A name has at most ${MAX_NAME} characters.`)
    setBusy(true)
    setProblem(null)
    try {
      const session = await createSession(client, name.trim())
      notify(`Created session ${session.name === "" ? session.sessionId : `“${session.name}”`}.`)
      setName("")
      navigate({ page: "session", sessionId: session.sessionId })
    } catch (error) {
      setProblem(`Could not create the session: ${asFailure(error).message}`)
    } finally {
      setBusy(false)
    }
  }

  return html`<form class="inline-form" onSubmit=${submit} aria-label="New session">
    <div class="field grow">
      <label for="new-session-name">New session name <span class="muted">(optional)</span></label>
      <input id="new-session-name" name="name" maxlength=${MAX_NAME} placeholder="e.g. support line" autocomplete="off"
        value=${name} onInput=${(e: Event) => setName(fieldValue(e))} />
    </div>
    <button type="submit" disabled=${busy}>${busy ? "Creating…" : "Create session"}</button>
    <p class="error" role="alert">${problem}</p>
  </form>`
}
