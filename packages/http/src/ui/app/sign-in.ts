import { useState } from "./vendor/preact-hooks.js"
import { asFailure, createApiClient } from "./api-client.js"
import { fieldValue } from "./dom.js"
import { html } from "./html.js"
import { listSessions } from "./sessions-api.js"

/** Why a token was refused, in words a person can act on. */
const refusal = (status: number, message: string): string => {
  if (status === 401) return "The gateway did not accept this key or token (401 unauthorized). Check that you pasted all of it."
  if (status === 403) return "This key or token is valid but may not read sessions (it lacks the read capability)."
  if (status === 0) return `Could not reach the gateway: ${message}`
  return `The gateway refused to sign you in: ${message}`
}

/**
 * Sign in with an API key (`wag_…`) or a login JWT. The token is tried on
 * `GET /sessions` before it is kept; the field is a password field, so it is
 * never shown on screen.
 */
export const SignIn = ({ notice, onSignedIn }: { readonly notice: string | null; readonly onSignedIn: (token: string) => void }) => {
  const [token, setToken] = useState("")
  const [problem, setProblem] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const submit = async (event: Event) => {
    event.preventDefault()
    const candidate = token.trim()
    if (candidate === "") return setProblem("Paste an API key or a login token first.")
    // A header value cannot hold line breaks or other control characters.
    if (/[\u0000-\u001f\u007f\s]/.test(candidate)) return setProblem("A key or token has no spaces or line breaks; paste it again.")
    setBusy(true)
    setProblem(null)
    try {
      await listSessions(createApiClient(candidate, () => undefined), { pageSize: 1, pageToken: null })
      onSignedIn(candidate)
    } catch (error) {
      const failure = asFailure(error)
      setProblem(refusal(failure.status, failure.message))
      setBusy(false)
    }
  }

  return html`<main class="sign-in" id="main">
    <form class="card" onSubmit=${submit} aria-describedby="sign-in-help" novalidate>
      <h1>wa-gateway</h1>
      <p id="sign-in-help">Paste an API key (<code>wag_…</code>) or a login token. It is kept in this tab only and forgotten when you sign out or close it.</p>
      ${notice === null ? null : html`<p class="notice" role="status">${notice}</p>`}
      <label for="token">API key or token</label>
      <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required
        value=${token} onInput=${(e: Event) => setToken(fieldValue(e))}
        aria-invalid=${problem === null ? "false" : "true"} aria-errormessage="sign-in-problem" />
      <p id="sign-in-problem" class="error" role="alert">${problem}</p>
      <button type="submit" disabled=${busy}>${busy ? "Signing in…" : "Sign in"}</button>
    </form>
  </main>`
}
