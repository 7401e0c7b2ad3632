import { afterAll, beforeAll, expect, it } from "vitest"
import { Me, PairingCode, QrCode, Session, SessionEvents } from "./sessions/api.js"
import { call, expectEnvelope, startTestServer, type TestServer, wire } from "./server.spec-helper.js"

let server: TestServer
let key: string
beforeAll(async () => {
  server = await startTestServer()
  key = await server.apiKey("org-life", ["read", "manage"])
})
afterAll(() => server.close())

it("walks a session through its whole life on the simulator routes, and its history lists exactly those events", async () => {
  const api = (method: string, path: string, body?: unknown) =>
    call(server, method, path, body === undefined ? { token: key } : { token: key, body })

  const created = await api("POST", "/api/v1/sessions", { name: "support line" })
  expect(created.status).toBe(201)
  const id = wire(Session, created).sessionId

  const qr = await api("GET", `/api/v1/sessions/${id}/qr`)
  expect(qr.status).toBe(200)
  expect(wire(QrCode, qr).qr).not.toBe("")

  const scanned = await api("POST", `/simulator/v1/sessions/${id}:scan`, { phoneNumber: "628123456789", pushName: "Acme Support" })
  expect(scanned.status, scanned.text).toBe(200)
  expect(wire(Session, scanned)).toMatchObject({ status: "paired", phoneNumber: "628123456789", pushName: "Acme Support" })

  const me = await api("GET", `/api/v1/sessions/${id}/me`)
  expect(me.status).toBe(200)
  expect(wire(Me, me)).toMatchObject({ sessionId: id, status: "paired", phoneNumber: "628123456789", pushName: "Acme Support" })

  const loggedOut = await api("POST", `/api/v1/sessions/${id}:logout`)
  expect(loggedOut.status).toBe(200)
  expect(wire(Session, loggedOut)).toMatchObject({ status: "logged_out", phoneNumber: null })
  expectEnvelope(await api("GET", `/api/v1/sessions/${id}/me`), 404, "not_found")

  const code = await api("POST", `/api/v1/sessions/${id}:requestPairingCode`, { phone: "628987654321" })
  expect(code.status).toBe(200)
  const { code: pairingCode } = wire(PairingCode, code)
  expect(pairingCode).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/)

  const entered = await api("POST", `/simulator/v1/sessions/${id}:enterCode`, { code: pairingCode, pushName: "Acme Two" })
  expect(entered.status, entered.text).toBe(200)
  expect(wire(Session, entered)).toMatchObject({ status: "paired", phoneNumber: "628987654321", pushName: "Acme Two" })

  const history = wire(SessionEvents, await api("GET", `/api/v1/sessions/${id}/events`))
  expect(history.events.map((event) => [event.type, event.data])).toEqual([
    ["SessionCreated", { sessionId: id, orgId: "org-life", name: "support line" }],
    ["PairingStarted", { method: "qr" }],
    ["SessionPaired", expect.objectContaining({ phoneNumber: "628123456789", pushName: "Acme Support" })],
    ["LoggedOut", { by: "user" }],
    ["PairingStarted", { method: "code", phone: "628987654321" }],
    ["SessionPaired", expect.objectContaining({ phoneNumber: "628987654321", pushName: "Acme Two" })]
  ])
  expect(history.events.map((event) => event.version)).toEqual([1, 2, 3, 4, 5, 6])

  const deleted = await api("DELETE", `/api/v1/sessions/${id}`)
  expect(deleted.status).toBe(204)
  expectEnvelope(await api("GET", `/api/v1/sessions/${id}`), 404, "not_found")
  expectEnvelope(await api("GET", `/api/v1/sessions/${id}/events`), 404, "not_found")
  expectEnvelope(await api("POST", `/simulator/v1/sessions/${id}:scan`, { phoneNumber: "628123456789" }), 404, "not_found")
})
