import { Effect, type ParseResult } from "effect"
import { Gateway } from "@wa-gateway/adapters"
import type { Principal } from "../auth/principal.js"
import { mapErrors } from "../errors.js"
import { capabilityOf } from "../middleware/capability.js"
import { DEFAULT_PAGE_SIZE, type ListSessionsParams } from "./api.js"
import { parseSessionId } from "./session-id.js"
import { encodeSession, encodeSessionList, toSession } from "./session-wire.js"
import { sessionsPolicy } from "./policy.js"

/** What the store gave and the contract cannot encode is the server's bug: 500 `internal`, never the client's 400. */
const unencodableIsABug = <A, R>(encoding: Effect.Effect<A, ParseResult.ParseError, R>): Effect.Effect<A, never, R> => Effect.orDie(encoding)

/**
 * The read routes of the sessions group (`get`, `list`) as functions of the
 * caller and the decoded request, answering the encoded 200 body: the
 * group's handlers serve them, and so does the fast path in front of the
 * router (read-fast-path.ts), so both answer alike by construction.
 */
export const makeSessionReads = Effect.gen(function* () {
  const gateway = yield* Gateway

  const get = (principal: Principal, rawSessionId: string) =>
    Effect.gen(function* () {
      yield* capabilityOf(principal, sessionsPolicy.get)
      const sessionId = yield* parseSessionId(rawSessionId)
      const view = yield* mapErrors(gateway.get(principal.orgId, sessionId))
      return yield* encodeSession(toSession(view)).pipe(unencodableIsABug)
    })

  const list = (principal: Principal, urlParams: typeof ListSessionsParams.Type) =>
    Effect.gen(function* () {
      yield* capabilityOf(principal, sessionsPolicy.list)
      const page = yield* mapErrors(gateway.list(principal.orgId, {
        pageSize: urlParams.pageSize ?? DEFAULT_PAGE_SIZE,
        after: urlParams.pageToken ?? null
      }))
      const last = page.sessions.at(-1)
      return yield* encodeSessionList({
        sessions: page.sessions.map(toSession),
        nextPageToken: page.hasMore && last !== undefined ? { createdAt: last.createdAt, sessionId: last.sessionId } : null
      }).pipe(unencodableIsABug)
    })

  return { get, list }
})
