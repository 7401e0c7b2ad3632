import { useState } from "./vendor/preact-hooks.js"
import { el } from "./html.js"
import { SignIn } from "./sign-in.js"
import { SignedIn } from "./signed-in.js"
import { forgetToken, readToken, saveToken } from "./token-store.js"

/** Signed out → the sign-in form; signed in → the dashboard. Signing out forgets the token. */
export const App = () => {
  const [token, setToken] = useState(readToken)
  const [notice, setNotice] = useState<string | null>(null)
  if (token === null) {
    return el(SignIn, {
      notice,
      onSignedIn: (accepted) => {
        saveToken(accepted)
        setNotice(null)
        setToken(accepted)
      }
    })
  }
  return el(SignedIn, {
    token,
    onSignOut: (reason) => {
      forgetToken()
      setNotice(reason)
      setToken(null)
    }
  })
}
