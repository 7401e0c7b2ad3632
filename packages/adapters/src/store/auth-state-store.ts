import type { SessionId, StoreUnavailable } from "@wa-gateway/domain"
import { Context, type Effect } from "effect"

export type JsonValue =
  | string
  | number
  | boolean
  | null
  | ReadonlyArray<JsonValue>
  | { readonly [key: string]: JsonValue }

export interface AuthStateEntry {
  /** Baileys' key type (`pre-key`, `session`, …) or `creds`. */
  readonly category: string
  readonly keyId: string
  readonly value: JsonValue
}

/**
 * The WhatsApp engine's auth state (`wa_auth`), one row per
 * (session, category, key id). Erasing a session deletes its rows with it.
 */
export class AuthStateStore extends Context.Tag("wa-gateway/AuthStateStore")<AuthStateStore, {
  /** The stored values of these keys; missing keys are absent from the map. */
  readonly get: (
    sessionId: SessionId,
    category: string,
    keyIds: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyMap<string, JsonValue>, StoreUnavailable>
  /** Inserts or replaces every entry, atomically; the last of duplicate keys wins. */
  readonly set: (sessionId: SessionId, entries: ReadonlyArray<AuthStateEntry>) => Effect.Effect<void, StoreUnavailable>
  readonly delete: (sessionId: SessionId, category: string, keyIds: ReadonlyArray<string>) => Effect.Effect<void, StoreUnavailable>
  /** Every key of the session. */
  readonly purge: (sessionId: SessionId) => Effect.Effect<void, StoreUnavailable>
}>() {}
