import { describe, expect, it } from "@effect/vitest"
import { EventStore, SessionDeleted } from "@wa-gateway/domain"
import { Effect, Fiber, Layer } from "effect"
import pg from "pg"
import { appendHistory, appendRequest, created, newOrg } from "./event-store.contract.spec-helper.js"
import { SqlDatabase } from "./sql-database.js"
import { SqlStores } from "./stores.js"
import { databaseUrl, freshSchema, randomSessionId } from "./test-database.spec-helper.js"

describe("auth state on PostgreSQL, racing an erasure", () => {
  it.live("a key write that commits while the erasure waits for the head is removed with it, not left behind", () =>
    Effect.scoped(Effect.gen(function* () {
      const schema = yield* freshSchema
      const context = yield* Layer.build(Layer.provideMerge(SqlStores, SqlDatabase.postgres({ url: databaseUrl, schema, poolSize: 2 })))
      const store = Effect.provide(EventStore, context)
      const sessionId = randomSessionId()
      const orgId = newOrg()
      yield* Effect.provide(appendHistory(sessionId, orgId, [created(sessionId, orgId)]), context)

      // A writer in the middle of its statement: it holds the head's key-share lock and has inserted, uncommitted.
      const writer = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${schema}` })
      yield* Effect.acquireRelease(Effect.promise(() => writer.connect()), () => Effect.promise(() => writer.end()))
      yield* Effect.promise(async () => {
        await writer.query("begin")
        await writer.query("select 1 from sessions where session_id = $1 for key share", [sessionId])
        await writer.query("insert into wa_auth (session_id, category, key_id, value) values ($1, 'pre-key', '1', '1')", [sessionId])
      })

      // The erasure starts now (its snapshot cannot see the writer's row) and waits for the lock.
      const erasure = yield* Effect.fork(Effect.flatMap(store, (events) =>
        events.append(appendRequest(sessionId, orgId, [created(sessionId, orgId)], [new SessionDeleted()]))))
      yield* Effect.sleep("300 millis")
      expect(yield* Fiber.poll(erasure)).toMatchObject({ _tag: "None" })
      yield* Effect.promise(() => writer.query("commit"))
      yield* Fiber.join(erasure)

      const left = yield* Effect.promise(() => writer.query("select count(*)::int as n from wa_auth where session_id = $1", [sessionId]))
      expect(left.rows[0]).toEqual({ n: 0 })
    })))
})
