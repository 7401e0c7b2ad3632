import type { PGlite } from "@electric-sql/pglite"
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
  type TransactionSettings
} from "kysely"

/**
 * Kysely on PGlite, which has one connection: queries take turns. Unlike
 * `kysely-pglite-dialect`, closing lets the query (or transaction) in
 * progress and those already queued finish, and refuses any after it: PGlite
 * closed under a running query never settles it, and a shutdown hangs there.
 */
export class PgliteDialect implements Dialect {
  constructor(private readonly instance: PGlite) {}
  createAdapter() {
    return new PostgresAdapter()
  }
  createDriver(): Driver {
    return new PgliteDriver(this.instance)
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler()
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db)
  }
}

class PgliteConnection implements DatabaseConnection {
  constructor(private readonly instance: PGlite) {}
  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.instance.query<R>(compiled.sql, [...compiled.parameters])
    return result.affectedRows === undefined || result.affectedRows === 0
      ? { rows: result.rows }
      : { rows: result.rows, numAffectedRows: BigInt(result.affectedRows) }
  }
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("streaming queries are not supported on PGlite")
  }
}

class PgliteDriver implements Driver {
  private readonly connection: PgliteConnection
  private busy = false
  private closed = false
  private readonly waiting: Array<(connection: DatabaseConnection) => void> = []
  private idle: Array<() => void> = []

  constructor(private readonly instance: PGlite) {
    this.connection = new PgliteConnection(instance)
  }

  async init(): Promise<void> {}

  acquireConnection(): Promise<DatabaseConnection> {
    if (this.closed) return Promise.reject(new Error("the embedded database is closed"))
    if (!this.busy) {
      this.busy = true
      return Promise.resolve(this.connection)
    }
    return new Promise((resolve) => this.waiting.push(resolve))
  }

  releaseConnection(): Promise<void> {
    const next = this.waiting.shift()
    if (next !== undefined) {
      next(this.connection)
    } else {
      this.busy = false
      for (const wake of this.idle) wake()
      this.idle = []
    }
    return Promise.resolve()
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const begin = settings.isolationLevel === undefined ? "begin" : `start transaction isolation level ${settings.isolationLevel}`
    await connection.executeQuery(CompiledQuery.raw(begin))
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("commit"))
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("rollback"))
  }

  async destroy(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.busy) await new Promise<void>((resolve) => this.idle.push(resolve))
    await this.instance.close()
  }
}
