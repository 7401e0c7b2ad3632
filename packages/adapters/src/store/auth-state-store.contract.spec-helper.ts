import { expect, layer } from "@effect/vitest"
import { EventStore, SessionDeleted, type SessionId, type StoreUnavailable } from "@wa-gateway/domain"
import { Effect, Either, type Layer, Option } from "effect"
import { AuthStateStore, SignalKeyType } from "./auth-state-store.js"
import { appendHistory, appendRequest, created, newOrg } from "./event-store.contract.spec-helper.js"
import { randomSessionId } from "./test-database.spec-helper.js"

/** A session whose head exists, as the engine's sessions always have while they write. */
const liveSession = Effect.gen(function* () {
  const sessionId = randomSessionId()
  const orgId = newOrg()
  yield* appendHistory(sessionId, orgId, [created(sessionId, orgId)])
  return { sessionId, orgId }
})

/** Deletes the session the way `DeleteSession` does: the head goes with the erasure. */
const erase = (sessionId: SessionId, orgId: ReturnType<typeof newOrg>) =>
  Effect.flatMap(EventStore, (store) => store.append(appendRequest(sessionId, orgId, [created(sessionId, orgId)], [new SessionDeleted()])))

const json = (value: unknown) => JSON.stringify(value)

const parsedKeys = (found: ReadonlyMap<string, string>) =>
  Object.fromEntries([...found].map(([id, text]): [string, unknown] => [id, JSON.parse(text)]))

/** Every key of every type, for checking that nothing of a session is left. */
const everything = (sessionId: SessionId, keyIds: ReadonlyArray<string>) =>
  Effect.flatMap(AuthStateStore, (auth) =>
    Effect.map(
      Effect.all([auth.readCreds(sessionId), ...SignalKeyType.literals.map((type) => auth.get(sessionId, type, keyIds))]),
      ([creds, ...keys]) => ({ creds: Option.map(creds, JSON.parse), keys: keys.reduce((n, found) => n + found.size, 0) })
    ))

/**
 * The AuthStateStore contract (the store behind Baileys' `SignalKeyStore`):
 * `stores` is shared by the cases, each on sessions of its own.
 */
export const authStateStoreContract = (name: string, stores: Layer.Layer<EventStore | AuthStateStore, StoreUnavailable>) =>
  layer(stores, { timeout: "120 seconds" })(name, (it) => {
    it.effect("keeps the creds as one entry per session, replaced by the next write", () =>
      Effect.gen(function* () {
        const auth = yield* AuthStateStore
        const [{ sessionId }, other] = [yield* liveSession, yield* liveSession]
        expect(yield* auth.readCreds(sessionId)).toEqual(Option.none())
        yield* auth.writeCreds(sessionId, json({ me: { id: "6281@s.whatsapp.net" }, registered: false, nums: [1, 2.5, -3] }))
        yield* auth.writeCreds(sessionId, json({ me: { id: "6281:4@s.whatsapp.net" }, registered: true }))
        yield* auth.writeCreds(other.sessionId, json({ other: true }))
        expect(Option.map(yield* auth.readCreds(sessionId), JSON.parse)).toEqual(Option.some({ me: { id: "6281:4@s.whatsapp.net" }, registered: true }))
        expect(Option.map(yield* auth.readCreds(other.sessionId), JSON.parse)).toEqual(Option.some({ other: true }))
      }))

    it.effect("keeps keys per session, type and id; a missing key is absent", () =>
      Effect.gen(function* () {
        const auth = yield* AuthStateStore
        const [{ sessionId }, other] = [yield* liveSession, yield* liveSession]
        yield* auth.set(sessionId, {
          "pre-key": { 1: json({ public: "a" }), 2: json([1, "two", null]) },
          session: { "6281.0": json("text") },
          "device-list": { 6281: json(["0", "4"]) }
        })
        yield* auth.set(other.sessionId, { "pre-key": { 1: json("other") } })
        expect(parsedKeys(yield* auth.get(sessionId, "pre-key", ["1", "2", "3"]))).toEqual({ 1: { public: "a" }, 2: [1, "two", null] })
        expect(parsedKeys(yield* auth.get(sessionId, "session", ["6281.0"]))).toEqual({ "6281.0": "text" })
        expect(parsedKeys(yield* auth.get(sessionId, "device-list", ["6281"]))).toEqual({ 6281: ["0", "4"] })
        // The same id under another type is another key.
        expect((yield* auth.get(sessionId, "sender-key", ["1"])).size).toBe(0)
        expect(parsedKeys(yield* auth.get(other.sessionId, "pre-key", ["1"]))).toEqual({ 1: "other" })
        expect((yield* auth.get(sessionId, "pre-key", [])).size).toBe(0)
      }))

    it.effect("applies one change of writes and deletes (null) across types at once", () =>
      Effect.gen(function* () {
        const auth = yield* AuthStateStore
        const { sessionId } = yield* liveSession
        yield* auth.set(sessionId, { "pre-key": { 1: json(1), 2: json(2) }, "app-state-sync-key": { a: json("a") } })
        yield* auth.set(sessionId, { "pre-key": { 1: null, 3: json(3) }, "app-state-sync-key": { a: json("a2") }, tctoken: { t: null } })
        expect(parsedKeys(yield* auth.get(sessionId, "pre-key", ["1", "2", "3"]))).toEqual({ 2: 2, 3: 3 })
        expect(parsedKeys(yield* auth.get(sessionId, "app-state-sync-key", ["a"]))).toEqual({ a: "a2" })
      }))

    it.effect("loses nothing when many changes of one session run at once", () =>
      Effect.gen(function* () {
        const auth = yield* AuthStateStore
        const { sessionId } = yield* liveSession
        const ids = Array.from({ length: 24 }, (_, i) => String(i))
        yield* Effect.forEach(
          ids,
          (id) => auth.set(sessionId, { "pre-key": { [id]: json({ id }) }, "sender-key-memory": { shared: json({ [id]: true }) } }),
          { concurrency: "unbounded", discard: true }
        )
        expect(parsedKeys(yield* auth.get(sessionId, "pre-key", ids))).toEqual(Object.fromEntries(ids.map((id) => [id, { id }])))
        // The key every change wrote holds one of their values, whole.
        const shared = parsedKeys(yield* auth.get(sessionId, "sender-key-memory", ["shared"]))["shared"]
        expect(ids.map((id) => json({ [id]: true }))).toContain(json(shared))
      }))

    it.effect("refuses a write for a session that was never created, and keeps nothing of it", () =>
      Effect.gen(function* () {
        const auth = yield* AuthStateStore
        const stranger = randomSessionId()
        expect(yield* Effect.flip(auth.writeCreds(stranger, json({})))).toMatchObject({ _tag: "AuthStateWriteRefused", sessionId: stranger })
        expect(yield* Effect.flip(auth.set(stranger, { "pre-key": { 1: json(1) } }))).toMatchObject({ _tag: "AuthStateWriteRefused" })
        expect(yield* everything(stranger, ["1", ""])).toEqual({ creds: Option.none(), keys: 0 })
      }))

    it.effect("refuses every write after the session's erasure, which left nothing behind", () =>
      Effect.gen(function* () {
        const auth = yield* AuthStateStore
        const { orgId, sessionId } = yield* liveSession
        yield* auth.writeCreds(sessionId, json({ me: { id: "6281:4@s.whatsapp.net" } }))
        yield* auth.set(sessionId, { "pre-key": { 1: json(1) }, session: { "6281.4": json("s") } })
        yield* erase(sessionId, orgId)
        expect(yield* everything(sessionId, ["1", "6281.4"])).toEqual({ creds: Option.none(), keys: 0 })

        // A socket that is still closing tries to write back what it holds.
        const late = yield* Effect.either(auth.writeCreds(sessionId, json({ me: { id: "6281:4@s.whatsapp.net" } })))
        expect(Either.isLeft(late) && late.left._tag).toBe("AuthStateWriteRefused")
        const lateKeys = yield* Effect.either(auth.set(sessionId, { "pre-key": { 2: json(2) }, session: { "6281.4": json("s") } }))
        expect(Either.isLeft(lateKeys) && lateKeys.left._tag).toBe("AuthStateWriteRefused")
        expect(yield* everything(sessionId, ["1", "2", "6281.4"])).toEqual({ creds: Option.none(), keys: 0 })
      }))

    it.effect("writes racing the erasure either land before it (and are erased) or are refused: nothing is left", () =>
      Effect.gen(function* () {
        const auth = yield* AuthStateStore
        const { orgId, sessionId } = yield* liveSession
        const ids = Array.from({ length: 40 }, (_, i) => String(i))
        const writes = Effect.forEach(
          ids,
          (id) => Effect.either(auth.set(sessionId, { "pre-key": { [id]: json(id) }, session: { [id]: json(id) } })),
          { concurrency: 8 }
        )
        const [outcomes] = yield* Effect.all([writes, Effect.zipRight(Effect.yieldNow(), erase(sessionId, orgId))], { concurrency: "unbounded" })
        expect(outcomes.every((o) => Either.isRight(o) || o.left._tag === "AuthStateWriteRefused")).toBe(true)
        expect(yield* everything(sessionId, ids)).toEqual({ creds: Option.none(), keys: 0 })
      }))

    it.effect("purges the creds and every key of one session only", () =>
      Effect.gen(function* () {
        const auth = yield* AuthStateStore
        const [{ sessionId }, other] = [yield* liveSession, yield* liveSession]
        yield* auth.writeCreds(sessionId, json({ me: null }))
        yield* auth.set(sessionId, { "pre-key": { 1: json(1) }, "lid-mapping": { 6281: json("1234") } })
        yield* auth.writeCreds(other.sessionId, json({ kept: true }))
        yield* auth.set(other.sessionId, { "pre-key": { 1: json("kept") } })
        yield* auth.purge(sessionId)
        expect(yield* everything(sessionId, ["1", "6281"])).toEqual({ creds: Option.none(), keys: 0 })
        expect(yield* everything(other.sessionId, ["1"])).toEqual({ creds: Option.some({ kept: true }), keys: 1 })
        // Purged is not erased: the session still exists, and may pair again.
        yield* auth.writeCreds(sessionId, json({ again: true }))
        expect(Option.isSome(yield* auth.readCreds(sessionId))).toBe(true)
      }))
  })
