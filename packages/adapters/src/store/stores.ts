import type { EventStore } from "@wa-gateway/domain"
import { Layer } from "effect"
import { ApiKeyStoreMemoryShared } from "./api-key-store-memory.js"
import { ApiKeyStoreSql } from "./api-key-store-sql.js"
import type { ApiKeyStore } from "./api-key-store.js"
import { AuthStateStoreMemoryShared } from "./auth-state-store-memory.js"
import { AuthStateStoreSql } from "./auth-state-store-sql.js"
import type { AuthStateStore } from "./auth-state-store.js"
import type { ConnectionLog } from "./connection-log.js"
import { ConnectionLogMemoryShared } from "./connection-log-memory.js"
import { ConnectionLogSql } from "./connection-log-sql.js"
import { EventStoreMemoryShared } from "./event-store-memory.js"
import { EventStoreSql } from "./event-store-sql.js"
import { MemoryDatabase } from "./memory-database.js"
import type { SqlDatabase } from "./sql-database.js"
import type { WebhookStore } from "./webhook-store.js"
import { WebhookStoreMemoryShared } from "./webhook-store-memory.js"
import { WebhookStoreSql } from "./webhook-store-sql.js"
import { MemoryWebhookDatabase } from "./webhook-tables-memory.js"

export type Stores = EventStore | ApiKeyStore | AuthStateStore | ConnectionLog | WebhookStore

/** Every store in memory, on shared tables (erasing a session drops its auth state). */
export const MemoryStores: Layer.Layer<Stores> = Layer.mergeAll(
  EventStoreMemoryShared,
  ApiKeyStoreMemoryShared,
  AuthStateStoreMemoryShared,
  ConnectionLogMemoryShared,
  WebhookStoreMemoryShared
).pipe(Layer.provide(Layer.merge(MemoryDatabase.layer, MemoryWebhookDatabase.layer)))

/** Every store on the one `SqlDatabase` (PostgreSQL or PGlite). */
export const SqlStores: Layer.Layer<Stores, never, SqlDatabase> = Layer.mergeAll(
  EventStoreSql,
  ApiKeyStoreSql,
  AuthStateStoreSql,
  ConnectionLogSql,
  WebhookStoreSql
)
