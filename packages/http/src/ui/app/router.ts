import { useEffect, useState } from "./vendor/preact-hooks.js"

// Pages live in the URL's fragment (`#/sessions/sess_…`): the server serves
// one page, and ids are all a URL ever holds (never a token).

export type Route =
  | { readonly page: "sessions" }
  | { readonly page: "session"; readonly sessionId: string }
  | { readonly page: "webhooks" }
  | { readonly page: "webhook"; readonly webhookId: string }
  | { readonly page: "unknown" }

export const parseRoute = (hash: string): Route => {
  const path = hash.replace(/^#/, "")
  if (path === "" || path === "/" || path === "/sessions") return { page: "sessions" }
  if (path === "/webhooks") return { page: "webhooks" }
  const session = /^\/sessions\/([^/]+)$/.exec(path)
  if (session?.[1] !== undefined) return { page: "session", sessionId: decodeURIComponent(session[1]) }
  const webhook = /^\/webhooks\/([^/]+)$/.exec(path)
  if (webhook?.[1] !== undefined) return { page: "webhook", webhookId: decodeURIComponent(webhook[1]) }
  return { page: "unknown" }
}

export const hrefOf = (route: Exclude<Route, { readonly page: "unknown" }>): string => {
  switch (route.page) {
    case "sessions":
      return "#/sessions"
    case "session":
      return `#/sessions/${encodeURIComponent(route.sessionId)}`
    case "webhooks":
      return "#/webhooks"
    case "webhook":
      return `#/webhooks/${encodeURIComponent(route.webhookId)}`
  }
}

export const navigate = (route: Exclude<Route, { readonly page: "unknown" }>): void => {
  location.hash = hrefOf(route)
}

export const useRoute = (): Route => {
  const [route, setRoute] = useState(() => parseRoute(location.hash))
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash))
    addEventListener("hashchange", onChange)
    return () => removeEventListener("hashchange", onChange)
  }, [])
  return route
}
