import { describe, expect, it } from "vitest"
import { boom } from "./fake-sockets.spec-helper.js"
import { closeReasonOf, disconnectCauseOf } from "./close-reasons.js"

describe("close reasons", () => {
  // What Baileys hands over in `lastDisconnect.error` for each case (Socket/socket.js, Utils/generics.js).
  it.each([
    [boom(515, "Stream Errored (restart required)"), "RestartRequired", "restart_required"],
    [boom(401, "Stream Errored (conflict)"), "LoggedOut", "logged_out"],
    [boom(401, "Intentional Logout"), "LoggedOut", "logged_out"],
    [boom(403, "Connection Failure"), "Forbidden", "forbidden"],
    [boom(440, "Stream Errored (conflict)"), "Replaced", "replaced"],
    [boom(408, "QR refs attempts ended"), "QrRefsEnded", "pairing_ended"],
    [boom(408, "WebSocket Error (connect ETIMEDOUT)"), "Transient", "timed_out"],
    [boom(428, "Connection Terminated"), "Transient", "connection_lost"],
    [boom(500, "Stream Errored (unknown)"), "Transient", "bad_session"],
    [boom(503, "Stream Errored (unavailable)"), "Transient", "unavailable"],
    [boom(400, "noise intermediate certificate signature invalid"), "CertificateRefused", "unavailable"],
    [boom(400, "noise certificate signature invalid"), "CertificateRefused", "unavailable"],
    [boom(400, "certification match failed"), "CertificateRefused", "unavailable"],
    [boom(400, "something else"), "Unknown", "unknown"],
    [boom(411, "Multi-device beta not joined"), "Unknown", "unknown"],
    [boom(599, "?"), "Unknown", "unknown"],
    [new Error("socket hang up"), "Transient", "connection_lost"]
  ] as const)("%s → %s (%s)", (error, reason, cause) => {
    const read = closeReasonOf(error)
    expect(read._tag).toBe(reason)
    expect(disconnectCauseOf(read)).toBe(cause)
  })

  it.each([undefined, null, "text", 42, { output: "no" }, { output: { statusCode: "515" } }])(
    "reads anything else (%s) without throwing, as a lost connection or an unknown close",
    (error) => {
      expect(["Transient", "Unknown"]).toContain(closeReasonOf(error)._tag)
    }
  )
})
