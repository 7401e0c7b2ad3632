import { HttpServerResponse } from "@effect/platform"
import { Effect, Schema } from "effect"
import { type SessionView, toSessionRepresentation } from "@wa-gateway/adapters"
import { PageToken, Session, SessionList, SessionStatus } from "./api.js"

/** A session as the contract shows it. */
export const toSession = (view: SessionView): Session => toSessionRepresentation(view)

// The success bodies of the read routes, encoded without walking the schema.
// Schema.encode of a Session (Dates to ISO strings, every field checked) and
// HttpApi's response encoding cost about 3 µs a session: a tenth of a GET and
// most of a page of 50 in a profile of the server. The values the schema
// accepts are checked here cheaply and encoded directly; anything else goes
// through the schema, which then refuses it as it always did. The two agree
// on every value (session-wire.unit.spec.ts).

const statuses: ReadonlySet<unknown> = new Set(SessionStatus.literals)
const isStatus = (u: unknown): u is typeof SessionStatus.Type => statuses.has(u)
const isNullOrString = (u: unknown): boolean => u === null || typeof u === "string"
const isValidDate = (d: Date): boolean => !Number.isNaN(d.getTime())

/** What `Schema.encode(Session)` yields for a session it accepts; `undefined` for one it may refuse. */
const encodeValidSession = (session: Session): typeof Session.Encoded | undefined =>
  typeof session.sessionId === "string" && typeof session.name === "string" && isStatus(session.status) &&
    typeof session.connected === "boolean" && isNullOrString(session.phoneNumber) && isNullOrString(session.waJid) &&
    isNullOrString(session.waLid) && isNullOrString(session.pushName) && isValidDate(session.createdAt) &&
    isValidDate(session.updatedAt) && Number.isInteger(session.version)
    ? {
      sessionId: session.sessionId,
      name: session.name,
      status: session.status,
      connected: session.connected,
      phoneNumber: session.phoneNumber,
      waJid: session.waJid,
      waLid: session.waLid,
      pushName: session.pushName,
      createdAt: session.createdAt.toISOString(),
      updatedAt: session.updatedAt.toISOString(),
      version: session.version
    }
    : undefined

const encodeSessionBySchema = Schema.encode(Session)
const encodeListBySchema = Schema.encode(SessionList)
const encodePageToken = Schema.encode(Schema.NullOr(PageToken))

/** A session's wire form, as `Schema.encode(Session)` makes it. */
export const encodeSession = (session: Session) => {
  const encoded = encodeValidSession(session)
  return encoded === undefined ? encodeSessionBySchema(session) : Effect.succeed(encoded)
}

/** A page's wire form, as `Schema.encode(SessionList)` makes it. */
export const encodeSessionList = (list: typeof SessionList.Type) => {
  const sessions: Array<typeof Session.Encoded> = []
  for (const session of list.sessions) {
    const encoded = encodeValidSession(session)
    if (encoded === undefined) return encodeListBySchema(list)
    sessions.push(encoded)
  }
  return Effect.map(encodePageToken(list.nextPageToken), (nextPageToken) => ({ sessions, nextPageToken }))
}

/** 200 with an encoded body, as HttpApi answers a success of these routes. */
export const okJson = (body: unknown): HttpServerResponse.HttpServerResponse => HttpServerResponse.unsafeJson(body)
