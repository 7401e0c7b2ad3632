import { SessionEngine, type SessionId } from "@wa-gateway/domain"
import { Effect, Layer, Option } from "effect"
import { CompiledQuery } from "kysely"
import { SocketAdmission } from "../engine/socket-admission.js"
import { query, SqlDatabase } from "../store/sql-database.js"
import { SessionFences } from "./session-fences.js"

const latestChange = `select type from connection_events where session_id = $1 order by position desc limit 1`

/**
 * The engine as a cluster runner sees it: its own runtimes for the sessions
 * it owns; for a session owned elsewhere, `connected` is the durable
 * connection record the owner keeps (a store failure reads as not connected).
 */
export const clusterEngine: Layer.Layer<SessionEngine, never, SessionEngine | SessionFences | SqlDatabase> = Layer.effect(
  SessionEngine,
  Effect.gen(function* () {
    const local = yield* SessionEngine
    const fences = yield* SessionFences
    const { db } = yield* SqlDatabase
    const recordedConnected = (sessionId: SessionId) =>
      query(() => db.executeQuery<{ readonly type: string }>(CompiledQuery.raw(latestChange, [sessionId]))).pipe(
        Effect.map((result) => result.rows[0]?.type === "session.connected"),
        Effect.orElseSucceed(() => false)
      )
    return {
      ...local,
      isConnected: (sessionId) =>
        Effect.gen(function* () {
          if (yield* local.isConnected(sessionId)) return true
          // The owner's runtime is the truth; only another process's sessions are read from the record.
          if (Option.isSome(yield* fences.ownership.fenceOf(sessionId))) return false
          return yield* recordedConnected(sessionId)
        })
    }
  })
)

/** Sockets only while this runner's fence is the session's current one. */
export const fencedAdmission: Layer.Layer<SocketAdmission, never, SessionFences> = Layer.effect(
  SocketAdmission,
  Effect.map(SessionFences, (fences) => ({ admit: fences.stillHeld }))
)
