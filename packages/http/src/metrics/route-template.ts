// The route a request was for, as a metric label: ids replaced by their
// parameter name, and anything that is not one of our routes folded into
// `unmatched`, so a client probing random paths cannot grow the label set.

const ID_SEGMENT = /^(sess|wh|dlv)_[^:/%]+((?::|%3[Aa]).*)?$/

const PARAMETER: Readonly<Record<string, string>> = { sess: "{session}", wh: "{webhook}", dlv: "{delivery}" }

const ROUTES: ReadonlySet<string> = new Set([
  "/healthz",
  "/readyz",
  "/metrics",
  "/openapi.json",
  "/docs",
  "/ui",
  "/api/v1/sessions",
  "/api/v1/sessions/{session}",
  "/api/v1/sessions/{session}/qr",
  "/api/v1/sessions/{session}/me",
  "/api/v1/sessions/{session}/events",
  "/api/v1/sessions/{session}:logout",
  "/api/v1/sessions/{session}:requestPairingCode",
  "/simulator/v1/sessions/{session}:scan",
  "/simulator/v1/sessions/{session}:enterCode",
  "/simulator/v1/sessions/{session}:unlink",
  "/simulator/v1/sessions/{session}:dropConnection",
  "/api/v1/webhooks",
  "/api/v1/webhooks/{webhook}",
  "/api/v1/webhooks/{webhook}:rotateSecret",
  "/api/v1/webhooks/{webhook}:test",
  "/api/v1/webhooks/{webhook}:replay",
  "/api/v1/webhooks/{webhook}/deliveries",
  "/api/v1/events:stream"
])

/** `GET /api/v1/sessions/sess_01…/qr` → `/api/v1/sessions/{session}/qr`; an unknown path → `unmatched`. */
export const routeTemplate = (url: string): string => {
  const path = url.split("?")[0] ?? url
  if (path.startsWith("/ui/")) return "/ui/*"
  const template = path
    .split("/")
    .map((segment) => {
      const id = ID_SEGMENT.exec(segment)
      if (id === null) return segment
      const verb = (id[2] ?? "").replace(/^%3[Aa]/, ":")
      return `${PARAMETER[id[1] ?? ""] ?? segment}${verb}`
    })
    .join("/")
    .replace(/%3[Aa]/g, ":")
  return ROUTES.has(template) ? template : "unmatched"
}
