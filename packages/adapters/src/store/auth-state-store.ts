import type { SessionId, StoreUnavailable } from "@wa-gateway/domain"
import { Context, type Effect, type Option, Schema } from "effect"

/**
 * The kinds of Signal keys a WhatsApp client keeps beside its creds (Baileys'
 * `SignalDataTypeMap`; the Baileys adapter checks at compile time that the
 * two lists agree).
 */
export const SignalKeyType = Schema.Literal(
  "pre-key",
  "session",
  "sender-key",
  "sender-key-memory",
  "app-state-sync-key",
  "app-state-sync-version",
  "lid-mapping",
  "device-list",
  "tctoken",
  "identity-key"
)
export type SignalKeyType = typeof SignalKeyType.Type

/**
 * A JSON document as text. The store keeps it as it is (jsonb in SQL); how
 * the engine encodes binary values into it is the engine's business.
 */
export type JsonText = string

/** One atomic change of keys: per type, per key id, the new value, or `null` to delete it. */
export type SignalKeyChanges = {
  readonly [T in SignalKeyType]?: { readonly [keyId: string]: JsonText | null }
}

/**
 * The session's head is gone (deleted, or never created): its auth state is
 * erased for good, so the write was refused and nothing was stored. Or the
 * writer's ownership fence is stale.
 */
export class AuthStateWriteRefused extends Schema.TaggedError<AuthStateWriteRefused>()("AuthStateWriteRefused", {
  sessionId: Schema.String,
  /**
   * `ownership_lost`: the write carried a fence that is no longer the
   * session's (cluster mode: another process owns it now). Either way the
   * socket writing it has no business with the session any more.
   */
  reason: Schema.optionalWith(Schema.Literal("session_gone", "ownership_lost"), { exact: true })
}) {}

/**
 * The WhatsApp engine's auth state (`wa_auth`): the creds as one entry and
 * the Signal keys by type and id. Every write is accepted only while the
 * session's head (`sessions` row) exists, in the same statement, so a socket
 * still closing can never write keys back after the session's erasure.
 */
export class AuthStateStore extends Context.Tag("wa-gateway/AuthStateStore")<AuthStateStore, {
  readonly readCreds: (sessionId: SessionId) => Effect.Effect<Option.Option<JsonText>, StoreUnavailable>
  /** Replaces the creds. */
  readonly writeCreds: (sessionId: SessionId, creds: JsonText) => Effect.Effect<void, StoreUnavailable | AuthStateWriteRefused>
  /** The stored values of these keys; missing keys are absent from the map. */
  readonly get: (
    sessionId: SessionId,
    type: SignalKeyType,
    keyIds: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyMap<string, JsonText>, StoreUnavailable>
  /** Applies every change at once: all or nothing. */
  readonly set: (sessionId: SessionId, changes: SignalKeyChanges) => Effect.Effect<void, StoreUnavailable | AuthStateWriteRefused>
  /** Every key and the creds of the session. */
  readonly purge: (sessionId: SessionId) => Effect.Effect<void, StoreUnavailable>
}>() {}

/** The category under which the creds are stored, beside the key types. */
export const CREDS_CATEGORY = "creds"

/** The changes as rows: the last value of a key id wins (object keys are unique anyway). */
export const changeRows = (changes: SignalKeyChanges): ReadonlyArray<{
  readonly category: SignalKeyType
  readonly keyId: string
  readonly value: JsonText | null
}> =>
  SignalKeyType.literals.flatMap((category) =>
    Object.entries(changes[category] ?? {}).map(([keyId, value]) => ({ category, keyId, value })))
