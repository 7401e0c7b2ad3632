import { Effect, Either, Option, Runtime, Schema } from "effect"
import type { SessionId, StoreUnavailable } from "@wa-gateway/domain"
import {
  AuthStateStore,
  type AuthStateWriteRefused,
  type JsonText,
  type SignalKeyChanges,
  type SignalKeyType
} from "../../store/auth-state-store.js"
import { type AuthenticationCreds, BufferJSON, initAuthCreds, proto, type SignalDataSet, type SignalDataTypeMap, type SignalKeyStore } from "./baileys.js"

// Baileys' auth state over our AuthStateStore. Baileys' values hold byte
// arrays (keys, sessions, signatures); BufferJSON writes each one as
// {type: "Buffer", data: <base64>} and reads it back as a Buffer, so every
// byte survives the JSON the store keeps.

/**
 * Every Baileys key type by name, each one the store knows: a type Baileys
 * adds (and the store lacks) fails to compile here instead of being dropped.
 */
const KEY_TYPES: { readonly [T in keyof SignalDataTypeMap]: T & SignalKeyType } = {
  "pre-key": "pre-key",
  session: "session",
  "sender-key": "sender-key",
  "sender-key-memory": "sender-key-memory",
  "app-state-sync-key": "app-state-sync-key",
  "app-state-sync-version": "app-state-sync-version",
  "lid-mapping": "lid-mapping",
  "device-list": "device-list",
  tctoken: "tctoken",
  "identity-key": "identity-key"
}

export const encodeValue = (value: unknown): JsonText => JSON.stringify(value, BufferJSON.replacer)

const decodeValue = (text: JsonText): unknown => JSON.parse(text, BufferJSON.reviver)

export const encodeCreds = (creds: AuthenticationCreds): JsonText => encodeValue(creds)

const KeyPair = Schema.Struct({ public: Schema.Uint8ArrayFromSelf, private: Schema.Uint8ArrayFromSelf })

/** The parts of stored creds without which no socket can start: their key pairs. */
const isUsableCreds = Schema.is(Schema.Struct({
  noiseKey: KeyPair,
  pairingEphemeralKeyPair: KeyPair,
  signedIdentityKey: KeyPair,
  signedPreKey: Schema.Struct({ keyPair: KeyPair, signature: Schema.Uint8ArrayFromSelf, keyId: Schema.Number }),
  registrationId: Schema.Number,
  advSecretKey: Schema.String
}))

/**
 * `initAuthCreds()`'s plain fields (counters, flags, settings), what stored
 * creds lacking a field a newer Baileys added get. Made once: `initAuthCreds`
 * also generates three key pairs and a signature (~6 ms), which every resume
 * would throw away. Were a byte field ever among them (a key a newer Baileys
 * generates), it could not be shared between sessions: then every decode
 * calls `initAuthCreds` again.
 */
const { noiseKey: _n, pairingEphemeralKeyPair: _p, signedIdentityKey: _i, signedPreKey: _s, registrationId: _r, advSecretKey: _a, ...plainDefaults } = initAuthCreds()
const plainDefaultsHoldBytes = encodeValue(plainDefaults).includes('"Buffer"')

// Cloned each time: Baileys mutates creds in place, so no two sessions may share an object.
const defaultCreds = () => (plainDefaultsHoldBytes ? initAuthCreds() : structuredClone(plainDefaults))

/** Stored creds read back; fields a newer Baileys added default to `initAuthCreds()`'s. */
export const decodeCreds = (text: JsonText): Either.Either<AuthenticationCreds, string> => {
  const parsed = Either.try(() => decodeValue(text))
  if (Either.isLeft(parsed)) return Either.left("the stored creds are not JSON")
  const value = parsed.right
  return isUsableCreds(value) ? Either.right({ ...defaultCreds(), ...value }) : Either.left("the stored creds lack their key pairs")
}

/**
 * A key read back as the type it was stored under. The store hands back
 * exactly what `set` wrote under this type (from Baileys, typed by it), so
 * the value is of that type; app-state keys are protobuf objects again.
 */
const reviveKey = <T extends keyof SignalDataTypeMap>(type: T, text: JsonText): SignalDataTypeMap[T] => {
  const value = decodeValue(text)
  return (type === "app-state-sync-key" && typeof value === "object" && value !== null
    ? proto.Message.AppStateSyncKeyData.fromObject(value)
    : value) as SignalDataTypeMap[T]
}

/** Baileys' `set` argument as one atomic change of the store (null and undefined delete). */
export const keyChanges = (data: SignalDataSet): SignalKeyChanges =>
  Object.fromEntries(Object.values(KEY_TYPES).flatMap((type) => {
    const values = data[type]
    if (values === undefined) return []
    return [[type, Object.fromEntries(Object.entries(values).map(([id, value]) => [id, value == null ? null : encodeValue(value)]))]]
  }))

/** Why a key write failed, as the Error Baileys sees. */
export class AuthStateWriteFailed extends Error {
  constructor(readonly reason: StoreUnavailable | AuthStateWriteRefused) {
    super(reason._tag === "AuthStateWriteRefused" ? "the session was deleted: its keys are not written" : reason.message)
  }
}

/**
 * Baileys' `SignalKeyStore` for one session, over the store, run on the
 * given runtime. `onRefused` hears that the session's head is gone: its
 * socket has no business writing anything any more.
 */
export const signalKeyStore = (
  sessionId: SessionId,
  store: typeof AuthStateStore.Service,
  runtime: Runtime.Runtime<never>,
  onRefused: () => void
): SignalKeyStore => {
  const run = Runtime.runPromise(runtime)
  return {
    get: (type, ids) =>
      run(store.get(sessionId, KEY_TYPES[type], ids)).then((found) => {
        const values: { [id: string]: SignalDataTypeMap[typeof type] } = {}
        for (const [id, text] of found) values[id] = reviveKey(type, text)
        return values
      }),
    set: (data) =>
      run(Effect.either(store.set(sessionId, keyChanges(data)))).then((result) => {
        if (Either.isRight(result)) return
        if (result.left._tag === "AuthStateWriteRefused") onRefused()
        throw new AuthStateWriteFailed(result.left)
      }),
    clear: () => run(store.purge(sessionId))
  }
}

/** The session's stored creds, if any were ever written; `Left` when they cannot be used. */
export const readCreds = (sessionId: SessionId): Effect.Effect<Option.Option<Either.Either<AuthenticationCreds, string>>, StoreUnavailable, AuthStateStore> =>
  Effect.flatMap(AuthStateStore, (store) => Effect.map(store.readCreds(sessionId), Option.map(decodeCreds)))
