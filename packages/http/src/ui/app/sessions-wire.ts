import { array, boolean, type Decoded, integer, literal, nullable, object, record, string, timestamp } from "./decode.js"

// The bodies of spec/API.md the page reads, checked as they arrive.

export const SessionStatus = literal("unpaired", "pairing", "paired", "logged_out")
export type SessionStatus = Decoded<typeof SessionStatus>

export const Session = object({
  sessionId: string,
  name: string,
  status: SessionStatus,
  connected: boolean,
  phoneNumber: nullable(string),
  waJid: nullable(string),
  waLid: nullable(string),
  pushName: nullable(string),
  createdAt: timestamp,
  updatedAt: timestamp,
  version: integer
})
export type Session = Decoded<typeof Session>

export const SessionList = object({ sessions: array(Session), nextPageToken: nullable(string) })
export type SessionList = Decoded<typeof SessionList>

export const PairingCode = object({ code: string, expiresAt: timestamp })
export type PairingCode = Decoded<typeof PairingCode>

export const Me = object({
  connected: boolean,
  phoneNumber: string,
  sessionId: string,
  status: SessionStatus,
  waJid: string,
  waLid: nullable(string),
  pushName: nullable(string)
})
export type Me = Decoded<typeof Me>

export const SessionEvent = object({
  position: integer,
  version: integer,
  // Read as any string: a type this page does not know yet is still shown.
  type: string,
  occurredAt: timestamp,
  data: record
})
export type SessionEvent = Decoded<typeof SessionEvent>

export const SessionEvents = object({ events: array(SessionEvent) })

export const Readiness = object({ status: literal("ok"), engine: string })
export type Readiness = Decoded<typeof Readiness>

export const ErrorEnvelope = object({ error: object({ code: string, message: string, details: record }) })
