import { afterAll, describe } from "@effect/vitest"
import { Layer } from "effect"
import { authStateStoreContract } from "./auth-state-store.contract.spec-helper.js"
import { erasureScan } from "./erasure-scan.spec-helper.js"
import { eventMetadataScan } from "./event-metadata.spec-helper.js"
import { eventStoreContract } from "./event-store.contract.spec-helper.js"
import { keyStoresContract } from "./key-stores.contract.spec-helper.js"
import { MemoryStores, SqlStores } from "./stores.js"
import { closeFilePglite, pgliteTestDatabase, postgresTestDatabase } from "./test-database.spec-helper.js"
import { concurrentClaimsContract, webhookStoreContract } from "./webhook-store.contract.spec-helper.js"

// One file for every store contract so the PGlite cases share one instance.
afterAll(closeFilePglite)

describe("EventStore contract", () => {
  eventStoreContract("in memory", MemoryStores)
  eventStoreContract("on PostgreSQL", Layer.provide(SqlStores, postgresTestDatabase()))
  eventStoreContract("on PGlite", Layer.provide(SqlStores, pgliteTestDatabase("event_store_contract")))
})

describe("ApiKeyStore contract", () => {
  keyStoresContract("in memory", MemoryStores)
  keyStoresContract("on PostgreSQL", Layer.provide(SqlStores, postgresTestDatabase()))
  keyStoresContract("on PGlite", Layer.provide(SqlStores, pgliteTestDatabase("key_stores_contract")))
})

describe("AuthStateStore contract", () => {
  authStateStoreContract("in memory", MemoryStores)
  authStateStoreContract("on PostgreSQL", Layer.provide(SqlStores, postgresTestDatabase()))
  authStateStoreContract("on PGlite", Layer.provide(SqlStores, pgliteTestDatabase("auth_state_contract")))
})

describe("WebhookStore and ConnectionLog contract", () => {
  webhookStoreContract("in memory", MemoryStores)
  webhookStoreContract("on PostgreSQL", Layer.provide(SqlStores, postgresTestDatabase()))
  webhookStoreContract("on PGlite", Layer.provide(SqlStores, pgliteTestDatabase("webhook_store_contract")))
  concurrentClaimsContract("on PostgreSQL with concurrent senders", Layer.provide(SqlStores, postgresTestDatabase(10)))
})

describe("erasure leaves nothing behind", () => {
  erasureScan("on PostgreSQL", postgresTestDatabase())
  erasureScan("on PGlite", pgliteTestDatabase("erasure_scan"))
})

describe("the audit metadata of each event", () => {
  eventMetadataScan("on PostgreSQL", postgresTestDatabase())
  eventMetadataScan("on PGlite", pgliteTestDatabase("event_metadata"))
})
