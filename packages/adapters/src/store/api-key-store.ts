import { Context, type Effect, type Option } from "effect"
import type { OrgId, StoreUnavailable } from "@wa-gateway/domain"

export type Capability = "read" | "manage"

/** An API key as stored: only the SHA-256 of the secret is ever kept. */
export interface ApiKeyRecord {
  readonly id: string
  readonly orgId: OrgId
  /** Hex SHA-256 of the full key text (`wag_…`). */
  readonly keyHash: string
  readonly capabilities: ReadonlyArray<Capability>
  readonly label: string | null
  readonly createdAt: Date
  readonly lastUsedAt: Date | null
  readonly revokedAt: Date | null
}

export class ApiKeyStore extends Context.Tag("wa-gateway/ApiKeyStore")<ApiKeyStore, {
  readonly insert: (record: Omit<ApiKeyRecord, "lastUsedAt" | "revokedAt">) => Effect.Effect<void, StoreUnavailable>
  readonly findByHash: (keyHash: string) => Effect.Effect<Option.Option<ApiKeyRecord>, StoreUnavailable>
  readonly list: (orgId: OrgId) => Effect.Effect<ReadonlyArray<ApiKeyRecord>, StoreUnavailable>
  /** True when a key was revoked now; false when unknown or already revoked. */
  readonly revoke: (id: string, at: Date) => Effect.Effect<boolean, StoreUnavailable>
  readonly touch: (id: string, at: Date) => Effect.Effect<void, StoreUnavailable>
  /** Any key at all (revoked or not): the first start creates one only when there is none. */
  readonly isEmpty: Effect.Effect<boolean, StoreUnavailable>
}>() {}
