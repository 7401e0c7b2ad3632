import type { OrgId, SessionEvent, SessionId, SessionRecord, StoredEvent } from "@wa-gateway/domain"
import type { ConnectionEvent } from "../store/connection-log.js"
import { type EventType, logEventTypes } from "./event-types.js"

/** spec/EVENTS.md: exactly `type`, `timestamp` and `data`, the same JSON for webhooks and SSE. */
export interface EventPayload {
  readonly type: EventType
  readonly timestamp: string
  readonly data: Readonly<Record<string, unknown>>
}

export type PayloadStatus = SessionRecord["status"] | "deleted"

/** What each log event adds to the common fields; never its pairing attempt id nor the pairing phone. */
const ownFields = (event: SessionEvent): Readonly<Record<string, unknown>> => {
  switch (event._tag) {
    case "SessionCreated":
      return { name: event.name }
    case "PairingStarted":
      return { method: event.method }
    case "SessionPaired":
      return { phoneNumber: event.phoneNumber, waJid: event.waJid, waLid: event.waLid, pushName: event.pushName }
    case "PairingFailed":
      return { reason: event.reason }
    case "LoggedOut":
      return { by: event.by }
    case "SessionDeleted":
      return {}
  }
}

/** A session event of the log, with the session's state after it. */
export const logPayload = (stored: StoredEvent, status: PayloadStatus, connected: boolean): EventPayload => ({
  type: logEventTypes[stored.event._tag],
  timestamp: stored.occurredAt.toISOString(),
  data: {
    sessionId: stored.streamId,
    orgId: stored.orgId,
    status,
    connected,
    version: stored.version,
    ...ownFields(stored.event)
  }
})

/** A recorded connection change; it has no stream version. */
export const connectionPayload = (event: ConnectionEvent): EventPayload =>
  event.change._tag === "Connected"
    ? {
      type: "session.connected",
      timestamp: event.occurredAt.toISOString(),
      data: { sessionId: event.sessionId, orgId: event.orgId, status: event.status, connected: true }
    }
    : {
      type: "session.disconnected",
      timestamp: event.occurredAt.toISOString(),
      data: {
        sessionId: event.sessionId,
        orgId: event.orgId,
        status: event.status,
        connected: false,
        cause: event.change.cause,
        willReconnect: event.change.willReconnect
      }
    }

/** A QR now showing: live only, it carries a pairing secret. */
export const qrPayload = (input: {
  readonly sessionId: SessionId
  readonly orgId: OrgId
  readonly qr: string
  readonly expiresAt: Date
  readonly at: Date
}): EventPayload => ({
  type: "session.qr",
  timestamp: input.at.toISOString(),
  data: {
    sessionId: input.sessionId,
    orgId: input.orgId,
    status: "pairing",
    connected: false,
    qr: input.qr,
    expiresAt: input.expiresAt.toISOString()
  }
})

/** `POST /webhooks/{id}:test`: no session behind it. */
export const testPayload = (input: { readonly webhookId: string; readonly orgId: OrgId; readonly at: Date }): EventPayload => ({
  type: "webhook.test",
  timestamp: input.at.toISOString(),
  data: { webhookId: input.webhookId, orgId: input.orgId }
})
