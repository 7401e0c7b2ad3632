import { describe, expect, it } from "vitest"
import { routeTemplate } from "./route-template.js"

describe("routeTemplate", () => {
  it.each([
    ["/api/v1/sessions", "/api/v1/sessions"],
    ["/api/v1/sessions?pageSize=5", "/api/v1/sessions"],
    ["/api/v1/sessions/sess_01HZX8K3M9ABCDEFGHJKMNPQRS", "/api/v1/sessions/{session}"],
    ["/api/v1/sessions/sess_01HZX8K3M9ABCDEFGHJKMNPQRS/qr", "/api/v1/sessions/{session}/qr"],
    ["/api/v1/sessions/sess_01HZX8K3M9ABCDEFGHJKMNPQRS:logout", "/api/v1/sessions/{session}:logout"],
    ["/api/v1/sessions/sess_01HZX8K3M9ABCDEFGHJKMNPQRS%3ArequestPairingCode", "/api/v1/sessions/{session}:requestPairingCode"],
    ["/simulator/v1/sessions/sess_01HZX8K3M9ABCDEFGHJKMNPQRS:scan", "/simulator/v1/sessions/{session}:scan"],
    ["/api/v1/webhooks/wh_01HZX8K3M9ABCDEFGHJKMNPQRS/deliveries", "/api/v1/webhooks/{webhook}/deliveries"],
    ["/api/v1/events:stream", "/api/v1/events:stream"],
    ["/ui/app/main.js", "/ui/*"],
    ["/healthz", "/healthz"]
  ])("%s is %s", (url, template) => {
    expect(routeTemplate(url)).toBe(template)
  })

  it.each(["/", "/wp-admin", "/api/v1/sessions/not-an-id", "/api/v1/sessions/sess_x/unknown", "/api/v2/sessions"])(
    "folds the unknown path %s into unmatched",
    (url) => {
      expect(routeTemplate(url)).toBe("unmatched")
    }
  )
})
