import type { ApiClient } from "./api-client.js"
import { Session } from "./sessions-wire.js"

// The simulated phone's routes (`/simulator/v1`, simulator engine only).

const phonePath = (sessionId: string, action: string) =>
  `/simulator/v1/sessions/${encodeURIComponent(sessionId)}:${action}`

export const scanQr = (client: ApiClient, sessionId: string, phone: { readonly phoneNumber: string; readonly pushName: string }) =>
  client.json("POST", phonePath(sessionId, "scan"), Session, { body: phone })

export const enterCode = (client: ApiClient, sessionId: string, input: { readonly code: string; readonly pushName: string }) =>
  client.json("POST", phonePath(sessionId, "enterCode"), Session, { body: input })

export const unlinkDevice = (client: ApiClient, sessionId: string) => client.json("POST", phonePath(sessionId, "unlink"), Session)

export const dropConnection = (client: ApiClient, sessionId: string) =>
  // Back after 3 s: long enough to watch the session go offline and return.
  client.json("POST", phonePath(sessionId, "dropConnection"), Session, { body: { reconnectAfterMs: 3000 } })
