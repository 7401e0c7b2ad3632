import { PGlite } from "@electric-sql/pglite"
import { Kysely, sql } from "kysely"
import { expect, it } from "vitest"
import { PgliteDialect } from "./pglite-dialect.js"

// PGlite closed under a running query never settles that query nor the close:
// a gateway shutting down while a fiber still reads would hang for ever.
it("closes after the queries in progress and queued finish, and refuses the ones after", async () => {
  const db = new Kysely<unknown>({ dialect: new PgliteDialect(await PGlite.create()) })
  await sql`select 1`.execute(db)
  const running = sql<{ n: number }>`select count(*)::int as n from generate_series(1, 200000)`.execute(db)
  const queued = sql<{ a: string }>`select 'queued' as a`.execute(db)
  const closing = db.destroy()
  await expect(running).resolves.toMatchObject({ rows: [{ n: 200000 }] })
  await expect(queued).resolves.toMatchObject({ rows: [{ a: "queued" }] })
  await closing
  await expect(sql`select 1`.execute(db)).rejects.toThrow()
})

it("keeps a transaction on its connection while other queries wait their turn", async () => {
  const db = new Kysely<{ t: { v: number } }>({ dialect: new PgliteDialect(await PGlite.create()) })
  await sql`create table t (v int)`.execute(db)
  const outside: Array<number> = []
  await db.transaction().execute(async (trx) => {
    await trx.insertInto("t").values({ v: 1 }).execute()
    // Queued behind the transaction: it sees the committed row, never the open one.
    const read = db.selectFrom("t").select("v").execute().then((rows) => outside.push(rows.length))
    await trx.insertInto("t").values({ v: 2 }).execute()
    expect(outside).toEqual([])
    void read
  })
  await db.selectFrom("t").select("v").execute()
  expect(outside).toEqual([2])
  await db.destroy()
})
