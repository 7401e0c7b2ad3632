import type { ApiClient } from "./api-client.js"
import { Me, PairingCode, Session, SessionEvents, type SessionEvent, SessionList } from "./sessions-wire.js"

// The session routes of spec/API.md, as the page calls them.

const API = "/api/v1"

/** Ids go into paths encoded, so a crafted id cannot reach another route. */
const sessionPath = (sessionId: string, suffix = "") => `${API}/sessions/${encodeURIComponent(sessionId)}${suffix}`

export const listSessions = (client: ApiClient, page: { readonly pageSize: number; readonly pageToken: string | null }) => {
  const query = new URLSearchParams({ pageSize: String(page.pageSize) })
  if (page.pageToken !== null) query.set("pageToken", page.pageToken)
  return client.json("GET", `${API}/sessions?${query.toString()}`, SessionList)
}

export const createSession = (client: ApiClient, name: string) =>
  client.json("POST", `${API}/sessions`, Session, { body: name === "" ? {} : { name } })

export const getSession = (client: ApiClient, sessionId: string) => client.json("GET", sessionPath(sessionId), Session)

export interface QrImage {
  readonly image: Blob
  /** When the gateway shows the next QR (its `x-qr-expires-at` header); null when it did not say. */
  readonly expiresAt: Date | null
}

/** Starts QR pairing when unpaired or logged out; the current QR while pairing by QR. */
export const qrImage = async (client: ApiClient, sessionId: string): Promise<QrImage> => {
  const { blob, headers } = await client.blob(sessionPath(sessionId, "/qr"), "image/png")
  const expires = Date.parse(headers.get("x-qr-expires-at") ?? "")
  return { image: blob, expiresAt: Number.isNaN(expires) ? null : new Date(expires) }
}

export const requestPairingCode = (client: ApiClient, sessionId: string, phone: string) =>
  client.json("POST", sessionPath(sessionId, ":requestPairingCode"), PairingCode, { body: { phone } })

export const logout = (client: ApiClient, sessionId: string) => client.json("POST", sessionPath(sessionId, ":logout"), Session)

export const deleteSession = (client: ApiClient, sessionId: string) => client.send("DELETE", sessionPath(sessionId))

export const me = (client: ApiClient, sessionId: string) => client.json("GET", sessionPath(sessionId, "/me"), Me)

export const sessionEvents = async (client: ApiClient, sessionId: string): Promise<ReadonlyArray<SessionEvent>> =>
  (await client.json("GET", sessionPath(sessionId, "/events"), SessionEvents)).events
