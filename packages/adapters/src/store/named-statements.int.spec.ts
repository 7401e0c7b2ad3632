import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { NAMED_STATEMENT_LIMIT, withNamedStatements } from "./named-statements.js"
import { databaseUrl } from "./test-database.spec-helper.js"

// One connection, so every query below runs where the previous ones were prepared.
const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 })
const named = withNamedStatements(pool)

const preparedOnTheConnection = async (): Promise<ReadonlyArray<string>> => {
  const client = await named.connect()
  try {
    const result = await client.query<{ statement: string }>("select statement from pg_prepared_statements order by prepare_time", [])
    return result.rows.map((row) => row.statement)
  } finally {
    client.release()
  }
}

beforeAll(async () => {
  // Fails (rather than skips) when PostgreSQL is unreachable.
  await pool.query("select 1")
})
afterAll(() => named.end())

describe("named statements", () => {
  it("keeps a query prepared after its first use, with the same results as unnamed", async () => {
    const client = await named.connect()
    try {
      const first = await client.query<{ n: number }>("select $1::integer + 1 as n", [41])
      const second = await client.query<{ n: number }>("select $1::integer + 1 as n", [1])
      expect(first.rows).toEqual([{ n: 42 }])
      expect(second.rows).toEqual([{ n: 2 }])
      expect(first.command).toBe("SELECT")
    } finally {
      client.release()
    }
    expect(await preparedOnTheConnection()).toContain("select $1::integer + 1 as n")
  })

  it("runs one statement straight on the pool, prepared under the same name scheme", async () => {
    expect(await named.rows("select $1::integer * 2 as n", [21])).toEqual([{ n: 42 }])
    expect(await named.rows("select $1::integer * 2 as n", [2])).toEqual([{ n: 4 }])
    expect(await preparedOnTheConnection()).toContain("select $1::integer * 2 as n")
  })

  it("reports affected rows of a write, and leaves DDL and transaction control unnamed", async () => {
    const client = await named.connect()
    try {
      await client.query("begin", [])
      await client.query("create temporary table named_probe (x integer) on commit drop", [])
      const inserted = await client.query("insert into named_probe values ($1), ($2)", [1, 2])
      expect(inserted.command).toBe("INSERT")
      expect(inserted.rowCount).toBe(2)
      await client.query("commit", [])
    } finally {
      client.release()
    }
    const prepared = await preparedOnTheConnection()
    expect(prepared.some((text) => text.startsWith("create") || text === "begin" || text === "commit")).toBe(false)
  })

  it(`prepares at most ${NAMED_STATEMENT_LIMIT} distinct texts; past that, queries still run`, async () => {
    const client = await named.connect()
    try {
      for (let i = 0; i < NAMED_STATEMENT_LIMIT + 5; i++) {
        const result = await client.query<{ i: number }>(`select ${i}::integer as i`, [])
        expect(result.rows).toEqual([{ i }])
      }
    } finally {
      client.release()
    }
    expect((await preparedOnTheConnection()).length).toBeLessThanOrEqual(NAMED_STATEMENT_LIMIT)
  })

  it("fails a statement PostgreSQL refuses with PostgreSQL's own error, named or not, and the connection goes on", async () => {
    const client = await named.connect()
    try {
      await expect(client.query("select $1::integer / 0 as n", [1])).rejects.toMatchObject({ code: "22012" })
      await expect(client.query("select 1 / 0", [])).rejects.toMatchObject({ code: "22012" })
      await expect(client.query("drop table no_such_table_here", [])).rejects.toMatchObject({ code: "42P01" })
      expect((await client.query<{ n: number }>("select $1::integer as n", [7])).rows).toEqual([{ n: 7 }])
    } finally {
      client.release()
    }
  })
})
