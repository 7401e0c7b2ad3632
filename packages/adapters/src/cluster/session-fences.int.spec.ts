import { describe, expect, it } from "@effect/vitest"
import { EventStore, SessionDeleted } from "@wa-gateway/domain"
import { Effect, Either, Layer, Option } from "effect"
import { AuthStateStore } from "../store/auth-state-store.js"
import { appendHistory, appendRequest, created, newOrg, pairingStarted } from "../store/event-store.contract.spec-helper.js"
import { SqlDatabase } from "../store/sql-database.js"
import { SqlStores } from "../store/stores.js"
import { databaseUrl, freshSchema, randomSessionId } from "../store/test-database.spec-helper.js"
import { SessionFences } from "./session-fences.js"

/** Two runners on one database, each with its own fences and fenced stores. */
const twoRunners = Effect.gen(function* () {
  const schema = yield* freshSchema
  const database = yield* Layer.build(SqlDatabase.postgres({ url: databaseUrl, schema, poolSize: 2 }))
  const runner = (name: string) =>
    Layer.build(Layer.provideMerge(SqlStores, SessionFences.layer(name)).pipe(Layer.provide(Layer.succeedContext(database))))
  return { database, a: yield* runner("a"), b: yield* runner("b") }
})

describe("the ownership fence on PostgreSQL", () => {
  it.live("a former owner's appends and auth-state writes change nothing and fail typed; the current owner's go through", () =>
    Effect.scoped(Effect.gen(function* () {
      const { a, b } = yield* twoRunners
      const sessionId = randomSessionId()
      const orgId = newOrg()
      yield* Effect.provide(appendHistory(sessionId, orgId, [created(sessionId, orgId)]), a)

      const fenceA = yield* Effect.provide(Effect.flatMap(SessionFences, (f) => f.hold(sessionId)), a)
      const fenceB = yield* Effect.provide(Effect.flatMap(SessionFences, (f) => f.hold(sessionId)), b)
      expect(Option.getOrThrow(fenceB)).toBe(Option.getOrThrow(fenceA) + 1)

      const next = appendRequest(sessionId, orgId, [created(sessionId, orgId)], [pairingStarted])
      const stale = yield* Effect.provide(Effect.either(Effect.flatMap(EventStore, (s) => s.append({ ...next, fence: Option.getOrThrow(fenceA) }))), a)
      expect(Either.getLeft(stale)).toMatchObject(Option.some({ _tag: "OwnershipLost", sessionId }))

      const staleKeys = yield* Effect.provide(Effect.either(Effect.flatMap(AuthStateStore, (s) => s.writeCreds(sessionId, "{}"))), a)
      expect(Either.getLeft(staleKeys)).toMatchObject(Option.some({ _tag: "AuthStateWriteRefused", reason: "ownership_lost" }))
      expect(yield* Effect.provide(Effect.flatMap(AuthStateStore, (s) => s.readCreds(sessionId)), a)).toEqual(Option.none())
      expect(yield* Effect.provide(Effect.flatMap(SessionFences, (f) => f.stillHeld(sessionId)), a)).toBe(false)

      yield* Effect.provide(Effect.flatMap(EventStore, (s) => s.append({ ...next, fence: Option.getOrThrow(fenceB) })), b)
      yield* Effect.provide(Effect.flatMap(AuthStateStore, (s) => s.writeCreds(sessionId, "{}")), b)
      expect(yield* Effect.provide(Effect.flatMap(SessionFences, (f) => f.stillHeld(sessionId)), b)).toBe(true)
      expect((yield* Effect.provide(Effect.flatMap(EventStore, (s) => s.readStream(sessionId)), b)).length).toBe(2)
    })))

  it.live("a stale version under a current fence is still a version conflict, and a fenced erasure removes the owner row", () =>
    Effect.scoped(Effect.gen(function* () {
      const { a } = yield* twoRunners
      const sessionId = randomSessionId()
      const orgId = newOrg()
      yield* Effect.provide(appendHistory(sessionId, orgId, [created(sessionId, orgId), pairingStarted]), a)
      const fence = Option.getOrThrow(yield* Effect.provide(Effect.flatMap(SessionFences, (f) => f.hold(sessionId)), a))
      const events = Effect.provide(EventStore, a)

      const staleVersion = yield* Effect.either(Effect.flatMap(events, (s) =>
        s.append({ ...appendRequest(sessionId, orgId, [created(sessionId, orgId)], [pairingStarted]), fence })))
      expect(Either.getLeft(staleVersion)).toMatchObject(Option.some({ _tag: "VersionConflict" }))

      yield* Effect.flatMap(events, (s) =>
        s.append({ ...appendRequest(sessionId, orgId, [created(sessionId, orgId), pairingStarted], [new SessionDeleted()]), fence }))
      expect(yield* Effect.provide(Effect.flatMap(SessionFences, (f) => f.stillHeld(sessionId)), a)).toBe(false)
    })))
})
