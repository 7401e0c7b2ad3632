import { describe } from "@effect/vitest"
import { Layer } from "effect"
import { AuthStateStoreSql } from "./auth-state-store-sql.js"
import { eventStoreContract } from "./event-store.contract.spec-helper.js"
import { EventStoreSql } from "./event-store-sql.js"
import { MemoryStores } from "./stores.js"
import { pgliteTestDatabase, postgresTestDatabase } from "./test-database.spec-helper.js"

const sqlStores = Layer.merge(EventStoreSql, AuthStateStoreSql)

describe("EventStore contract", () => {
  eventStoreContract("in memory", MemoryStores)
  eventStoreContract("on PostgreSQL", Layer.provide(sqlStores, postgresTestDatabase()))
  eventStoreContract("on PGlite", Layer.provide(sqlStores, pgliteTestDatabase))
})
