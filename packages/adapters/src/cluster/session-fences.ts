import { type OwnershipFence, type SessionId, SessionOwnership, type StoreUnavailable } from "@wa-gateway/domain"
import { Context, Effect, Layer, Option, type Scope } from "effect"
import { CompiledQuery } from "kysely"
import { query, SqlDatabase } from "../store/sql-database.js"

const failure = "the session owners table is unavailable"

/**
 * One higher than every earlier owner's, in one statement; nothing for a
 * session whose head does not exist (the foreign key would refuse it anyway).
 */
const takeStatement = `
  insert into session_owners (session_id, epoch, runner, acquired_at)
  select session_id, 1, $2, now() from sessions where session_id = $1
  on conflict (session_id) do update
    set epoch = session_owners.epoch + 1, runner = excluded.runner, acquired_at = excluded.acquired_at
  returning epoch`

const currentStatement = `select epoch from session_owners where session_id = $1`

/**
 * The fences of the sessions this runner owns: taken in SQL when a session
 * entity starts, held in the entity's scope, forgotten when it closes. It is
 * the `SessionOwnership` every fenced write of this process consults.
 */
export class SessionFences extends Context.Tag("wa-gateway/SessionFences")<SessionFences, {
  /** Takes the session's next epoch for this runner until the scope closes; none when the session does not exist. */
  readonly hold: (sessionId: SessionId) => Effect.Effect<Option.Option<OwnershipFence>, StoreUnavailable, Scope.Scope>
  /** Whether this runner's fence for the session is still the current one (asked before a socket opens). */
  readonly stillHeld: (sessionId: SessionId) => Effect.Effect<boolean, StoreUnavailable>
  readonly ownership: Context.Tag.Service<SessionOwnership>
}>() {
  /** `runner` names this process in `session_owners` (its runner address). */
  static readonly layer = (runner: string): Layer.Layer<SessionFences | SessionOwnership, never, SqlDatabase> => {
    const fences = Layer.effect(this, make(runner))
    return Layer.merge(fences, Layer.effect(SessionOwnership, Effect.map(this, (f) => f.ownership)).pipe(Layer.provide(fences)))
  }
}

const make = (runner: string) =>
  Effect.gen(function* () {
    const { db } = yield* SqlDatabase
    // Process-local: which fence this runner holds for each of its entities.
    const held = new Map<SessionId, OwnershipFence>()

    const epochs = (text: string, parameters: ReadonlyArray<unknown>) =>
      Effect.map(
        query(() => db.executeQuery<{ readonly epoch: number }>(CompiledQuery.raw(text, [...parameters])), failure),
        (result) => result.rows.map((row) => row.epoch)
      )

    const hold = (sessionId: SessionId) =>
      Effect.acquireRelease(
        Effect.map(epochs(takeStatement, [sessionId, runner]), ([epoch]) => {
          if (epoch !== undefined) held.set(sessionId, epoch)
          return Option.fromNullable(epoch)
        }),
        (fence) =>
          Effect.sync(() => {
            if (Option.isSome(fence) && held.get(sessionId) === fence.value) held.delete(sessionId)
          })
      )

    const stillHeld = (sessionId: SessionId) =>
      Effect.gen(function* () {
        const mine = held.get(sessionId)
        if (mine === undefined) return false
        const [current] = yield* epochs(currentStatement, [sessionId])
        return current === mine
      })

    const ownership: Context.Tag.Service<SessionOwnership> = {
      fenceOf: (sessionId) => Effect.sync(() => Option.fromNullable(held.get(sessionId)))
    }
    return { hold, stillHeld, ownership }
  })
