import { afterAll, describe, expect, layer } from "@effect/vitest"
import { Effect, Either, Layer, Option } from "effect"
import { EventStore, SessionDeleted, type StoreUnavailable } from "@wa-gateway/domain"
import { AuthStateStore, SignalKeyType } from "../../store/auth-state-store.js"
import { appendHistory, appendRequest, created, newOrg } from "../../store/event-store.contract.spec-helper.js"
import { MemoryStores, SqlStores } from "../../store/stores.js"
import { closeFilePglite, pgliteTestDatabase, postgresTestDatabase, randomSessionId } from "../../store/test-database.spec-helper.js"
import { AuthStateWriteFailed, decodeCreds, encodeCreds, encodeValue, signalKeyStore } from "./auth-state.js"
import { type AuthenticationCreds, Curve, initAuthCreds, proto, type SignalDataSet } from "./baileys.js"

afterAll(closeFilePglite)

/** A value as plain JSON with every byte array as base64: equal trees mean equal bytes, whatever the key order. */
const bytesAndAll = (value: unknown): unknown => JSON.parse(encodeValue(value))

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) % 256)

/** Creds as they are after a pairing: the account, the identities, routing info, a name. */
const pairedCreds = (): AuthenticationCreds => ({
  ...initAuthCreds(),
  me: { id: "628123456789:4@s.whatsapp.net", lid: "123456789012345:4@lid", name: "Acme Support" },
  account: { details: bytes(40, 1), accountSignatureKey: bytes(32, 2), accountSignature: bytes(64, 3), deviceSignature: bytes(64, 4) },
  signalIdentities: [{ identifier: { name: "628123456789:4@s.whatsapp.net", deviceId: 0 }, identifierKey: bytes(33, 5) }],
  routingInfo: Buffer.from(bytes(12, 6)),
  platform: "android",
  registered: true,
  nextPreKeyId: 813,
  firstUnuploadedPreKeyId: 813
})

/** One value of every key type Baileys keeps, each with its own binary parts. */
const everyKeyType = (): SignalDataSet => ({
  "pre-key": { 1: Curve.generateKeyPair(), 2: Curve.generateKeyPair() },
  session: { "628123456789.0": bytes(600, 7) },
  "sender-key": { "120363@g.us::628123456789::0": bytes(200, 8) },
  "sender-key-memory": { "120363@g.us": { "628123456789:4@s.whatsapp.net": true } },
  "app-state-sync-key": {
    AAAAAPrN: proto.Message.AppStateSyncKeyData.fromObject({
      keyData: bytes(32, 9),
      fingerprint: { rawId: 7, currentIndex: 1, deviceIndexes: [0, 4] },
      timestamp: 1_700_000_000_000
    })
  },
  "app-state-sync-version": {
    regular_high: { version: 12, hash: Buffer.from(bytes(128, 10)), indexValueMap: { "aW5kZXg=": { valueMac: bytes(32, 11) } } }
  },
  "lid-mapping": { "628123456789": "123456789012345", "123456789012345_reverse": "628123456789" },
  "device-list": { "628123456789": ["0", "4"] },
  tctoken: { "628123456789@s.whatsapp.net": { token: Buffer.from(bytes(24, 12)), timestamp: "1700000000" } },
  "identity-key": { "628123456789.0": bytes(33, 13) }
})

const authStateSuite = (name: string, stores: Layer.Layer<EventStore | AuthStateStore, StoreUnavailable>) =>
  layer(stores, { timeout: "120 seconds" })(`Baileys' auth state ${name}`, (it) => {
    const liveSession = Effect.gen(function* () {
      const sessionId = randomSessionId()
      const orgId = newOrg()
      yield* appendHistory(sessionId, orgId, [created(sessionId, orgId)])
      return { sessionId, orgId }
    })

    const keysOf = (sessionId: ReturnType<typeof randomSessionId>, onRefused: () => void = () => {}) =>
      Effect.map(Effect.all([AuthStateStore, Effect.runtime<never>()]), ([store, runtime]) => signalKeyStore(sessionId, store, runtime, onRefused))

    it.effect("round-trips initAuthCreds() and paired creds byte for byte", () =>
      Effect.gen(function* () {
        const store = yield* AuthStateStore
        for (const creds of [initAuthCreds(), pairedCreds()]) {
          const { sessionId } = yield* liveSession
          yield* store.writeCreds(sessionId, encodeCreds(creds))
          const text = Option.getOrThrow(yield* store.readCreds(sessionId))
          const back = Either.getOrThrow(decodeCreds(text))
          expect(bytesAndAll(back)).toEqual(bytesAndAll(creds))
          // Binary fields come back as bytes, not as JSON look-alikes.
          expect(back.noiseKey.private).toBeInstanceOf(Uint8Array)
          expect(Buffer.from(back.signedPreKey.signature).equals(Buffer.from(creds.signedPreKey.signature))).toBe(true)
        }
      }))

    it.effect("round-trips every key type through Baileys' SignalKeyStore byte for byte, app-state keys as protobuf objects", () =>
      Effect.gen(function* () {
        const { sessionId } = yield* liveSession
        const keys = yield* keysOf(sessionId)
        const data = everyKeyType()
        yield* Effect.promise(async () => keys.set(data))
        for (const type of SignalKeyType.literals) {
          const values = data[type]
          if (values === undefined) return expect.fail(`no ${type} in the sample`)
          const ids = [...Object.keys(values), "missing"]
          const back = yield* Effect.promise(async () => keys.get(type, ids))
          expect(Object.keys(back).sort()).toEqual(Object.keys(values).sort())
          expect(bytesAndAll(back)).toEqual(bytesAndAll(values))
        }
        const session = yield* Effect.promise(async () => keys.get("session", ["628123456789.0"]))
        expect(session["628123456789.0"]).toBeInstanceOf(Uint8Array)
        const appState = yield* Effect.promise(async () => keys.get("app-state-sync-key", ["AAAAAPrN"]))
        expect(appState["AAAAAPrN"]).toBeInstanceOf(proto.Message.AppStateSyncKeyData)
      }))

    it.effect("deletes with null, and many concurrent sets lose nothing", () =>
      Effect.gen(function* () {
        const { sessionId } = yield* liveSession
        const keys = yield* keysOf(sessionId)
        const ids = Array.from({ length: 60 }, (_, i) => String(i + 1))
        yield* Effect.promise(() => Promise.all(ids.map(async (id) => keys.set({ "pre-key": { [id]: Curve.generateKeyPair() } }))))
        expect(Object.keys(yield* Effect.promise(async () => keys.get("pre-key", ids))).length).toBe(60)
        yield* Effect.promise(async () => keys.set({ "pre-key": { 1: null, 2: null } }))
        expect(Object.keys(yield* Effect.promise(async () => keys.get("pre-key", ids))).length).toBe(58)
      }))

    it.effect("a key write after the session's erasure is refused, heard by the socket, and leaves no row", () =>
      Effect.gen(function* () {
        const { orgId, sessionId } = yield* liveSession
        let refused = 0
        const keys = yield* keysOf(sessionId, () => void refused++)
        yield* Effect.promise(async () => keys.set({ session: { a: bytes(10, 1) } }))
        yield* Effect.flatMap(EventStore, (events) => events.append(appendRequest(sessionId, orgId, [created(sessionId, orgId)], [new SessionDeleted()])))
        const late = yield* Effect.promise(() => Promise.resolve(keys.set({ session: { a: bytes(10, 2) }, "pre-key": { 9: Curve.generateKeyPair() } })).then(() => "written", (e: unknown) => e))
        expect(late).toBeInstanceOf(AuthStateWriteFailed)
        expect(refused).toBe(1)
        const store = yield* AuthStateStore
        expect(yield* store.readCreds(sessionId)).toEqual(Option.none())
        expect((yield* store.get(sessionId, "session", ["a"])).size).toBe(0)
        expect((yield* store.get(sessionId, "pre-key", ["9"])).size).toBe(0)
      }))
  })

describe("Baileys' auth state over the stores", () => {
  authStateSuite("in memory", MemoryStores)
  authStateSuite("on PostgreSQL", Layer.provide(SqlStores, postgresTestDatabase()))
  authStateSuite("on PGlite", Layer.provide(SqlStores, pgliteTestDatabase("baileys_auth_state")))
})
