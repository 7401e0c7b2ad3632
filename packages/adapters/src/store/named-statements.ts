import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from "kysely"
import pg from "pg"

/** Distinct statements a connection keeps prepared; texts beyond run unnamed as before. */
export const NAMED_STATEMENT_LIMIT = 200

type Command = PostgresQueryResult<unknown>["command"]
const COMMANDS: ReadonlyArray<string> = ["UPDATE", "DELETE", "INSERT", "SELECT", "MERGE", "COMMIT", "ROLLBACK"] satisfies ReadonlyArray<Command>
const isCommand = (command: string): command is Command => COMMANDS.includes(command)
/** Kysely reads the command only to count affected rows and spot COMMIT/ROLLBACK; anything else reads like SELECT. */
const commandOf = (command: string): Command => isCommand(command) ? command : "SELECT"

/** Only plannable statements; DDL (migrations) and transaction control stay unnamed. */
const PLANNABLE = /^\s*(select|insert|update|delete|with)\b/i

/** Kysely's pool, plus one statement straight on the pool for the hottest write. */
export interface NamedStatementPool extends PostgresPool {
  /**
   * One statement on any free connection, named like Kysely's: Kysely's
   * executor (connection provider, driver, result copy) cost about as much
   * client-side CPU per append as the rest of the append's own code.
   */
  readonly rows: (text: string, values: Array<unknown>) => Promise<ReadonlyArray<unknown>>
}

/**
 * One query as a pg `Query` made from its text: `client.query` of a config
 * object first copies the object property by property (its
 * `normalizeQueryConfig`), about a tenth of the client side of a read in a
 * profile of the server; made from a string, nothing is copied, and the name
 * set afterwards is what the copy would have carried. pg keeps the values as
 * given (it serializes them into new buffers), so the caller's array is
 * passed as it is.
 */
const submit = <R>(
  client: pg.PoolClient,
  text: string,
  name: string | undefined,
  values: ReadonlyArray<unknown>
): Promise<PostgresQueryResult<R>> =>
  new Promise((resolve, reject) => {
    const query = new pg.Query<R & pg.QueryResultRow>(text, values, (error, result) => {
      if (error !== undefined && error !== null) reject(error)
      else resolve({ command: commandOf(result.command), rowCount: result.rowCount ?? 0, rows: result.rows })
    })
    client.query(name === undefined ? query : Object.assign(query, { name }))
  })

/**
 * pg sends every query as an unnamed statement, which PostgreSQL parses and
 * plans on each call; for the append's CTE that costs more than running it.
 * A name per distinct SQL text lets each connection keep the statement
 * prepared after its first use. Kysely builds texts from a few shapes with
 * values as parameters, so the names stay few; NAMED_STATEMENT_LIMIT caps them
 * in case some caller inlines values.
 */
export const withNamedStatements = (pool: pg.Pool): NamedStatementPool => {
  const names = new Map<string, string>()
  const nameOf = (text: string): string | undefined => {
    const known = names.get(text)
    if (known !== undefined || names.size >= NAMED_STATEMENT_LIMIT || !PLANNABLE.test(text)) return known
    const name = `wa_${names.size}`
    names.set(text, name)
    return name
  }
  // Kysely keys its connection state by client object: hand out one wrapper per pg client.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>()
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    function query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>
    function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>
    function query<R>(
      sqlOrCursor: string | PostgresCursor<R>,
      parameters: ReadonlyArray<unknown> = []
    ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
      // Kysely passes a cursor only for streaming, which SqlDatabase does not configure.
      if (typeof sqlOrCursor !== "string") throw new Error("query cursors are not configured")
      return submit<R>(client, sqlOrCursor, nameOf(sqlOrCursor), parameters)
    }
    return { query, release: (destroy?: boolean) => client.release(destroy) }
  }
  return {
    connect: async () => {
      const client = await pool.connect()
      const known = wrappers.get(client)
      if (known !== undefined) return known
      const wrapper = wrap(client)
      wrappers.set(client, wrapper)
      return wrapper
    },
    end: () => pool.end(),
    // As Kysely runs a query: a connection of the pool, the statement as a Query (no config copied), released after.
    rows: async (text, values) => {
      const client = await pool.connect()
      try {
        return (await submit<unknown>(client, text, nameOf(text), values)).rows
      } finally {
        client.release()
      }
    }
  }
}
