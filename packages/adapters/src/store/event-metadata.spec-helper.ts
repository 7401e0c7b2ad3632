import { expect, layer } from "@effect/vitest"
import { CommandMetadata, DeleteSession, SessionService } from "@wa-gateway/domain"
import { Effect, Layer } from "effect"
import { sql } from "kysely"
import { newOrg } from "./event-store.contract.spec-helper.js"
import { SqlDatabase } from "./sql-database.js"
import { SqlStores } from "./stores.js"

/** `events.metadata` of a stream, oldest first. */
const metadataOf = (sessionId: string) =>
  Effect.flatMap(SqlDatabase, ({ db }) =>
    Effect.promise(async () =>
      (await sql<{ metadata: unknown }>`select metadata from events where stream_id = ${sessionId} order by stream_version`.execute(db))
        .rows.map((r) => r.metadata)))

/** The audit trail: every event keeps who caused it and in answer to what (DESIGN §3 `metadata`). */
export const eventMetadataScan = (name: string, database: Layer.Layer<SqlDatabase, unknown>) =>
  layer(Layer.provideMerge(Layer.provideMerge(SessionService.Live, SqlStores), database), { excludeTestServices: true, timeout: "120 seconds" })(
    name,
    (it) => {
      it.effect("writes the command's metadata with each event it appends, and {} when there is none", () =>
        Effect.gen(function* () {
          const service = yield* SessionService
          const org = newOrg()
          const { sessionId } = yield* service.create(org, "audited").pipe(
            Effect.provideService(CommandMetadata, { actor: "api-key:key_1", correlationId: "req-1" })
          )
          yield* service.execute(org, new DeleteSession({ sessionId }))
          expect(yield* metadataOf(sessionId)).toEqual([{ actor: "api-key:key_1", correlationId: "req-1" }, {}])
        }))
    }
  )
