import { describe, expect, it, layer } from "@effect/vitest"
import {
  CompletePairing,
  DeleteSession,
  EventStore,
  FailPairing,
  Logout,
  type OrgId,
  type SessionCommand,
  type SessionEvent,
  SessionService,
  type SessionState,
  StartPairing,
  WaIdentity,
  evolve,
  initialState,
  PairingStarted,
  PhoneNumber
} from "@wa-gateway/domain"
import { Context, Effect, Either, Layer } from "effect"
import { sql } from "kysely"
import pg from "pg"
import { AuthStateStore } from "./auth-state-store.js"
import { ApiKeyStore } from "./api-key-store.js"
import { appendRequest, created, newOrg } from "./event-store.contract.spec-helper.js"
import { EventStoreSql } from "./event-store-sql.js"
import { SqlDatabase } from "./sql-database.js"
import { SqlStores } from "./stores.js"
import { databaseUrl, freshSchema, pgliteTestDatabase, randomSessionId } from "./test-database.spec-helper.js"

const identity = new WaIdentity({
  phoneNumber: PhoneNumber.make("6281399998888"),
  waJid: "6281399998888:7@s.whatsapp.net",
  waLid: "31415926535897@lid",
  pushName: "Siti Rahayu"
})

/** A SessionService with its own pool of one connection: no in-process lock is shared. */
const isolatedService = (schema: string) =>
  Layer.build(SessionService.Live.pipe(
    Layer.provide(EventStoreSql),
    Layer.provide(SqlDatabase.postgres({ url: databaseUrl, schema, poolSize: 1 }))
  )).pipe(Effect.map((context) => Context.get(context, SessionService)))

/** The transitions DESIGN §2 allows, event by event; `deleted` accepts nothing. */
const allowed = (state: SessionState, event: SessionEvent): boolean => {
  switch (event._tag) {
    case "SessionCreated":
      return state.status === "none"
    case "PairingStarted":
      return state.status === "unpaired" || state.status === "logged_out" || state.status === "pairing"
    case "SessionPaired":
    case "PairingFailed":
      return state.status === "pairing"
    case "LoggedOut":
      return state.status === "paired"
    case "SessionDeleted":
      return state.status !== "none" && state.status !== "deleted"
  }
}

const commandMix: ReadonlyArray<SessionCommand> = [
  new StartPairing({ method: "qr" }),
  new CompletePairing({ identity }),
  new StartPairing({ method: "code", phone: identity.phoneNumber }),
  new FailPairing({ reason: "expired" }),
  new CompletePairing({ identity }),
  new Logout({ by: "user" }),
  new StartPairing({ method: "qr" }),
  new CompletePairing({ identity })
]

describe("EventStore on PostgreSQL, across connections", () => {
  it.scopedLive("32 concurrent commands from 32 pools leave a contiguous history of allowed transitions", () =>
    Effect.gen(function* () {
      const schema = yield* freshSchema
      const first = yield* isolatedService(schema)
      const services = yield* Effect.forEach(Array.from({ length: 31 }), () => isolatedService(schema), { concurrency: 8 })

      for (let round = 0; round < 3; round++) {
        const org: OrgId = newOrg()
        const session = yield* first.create(org, `round ${round}`)
        // Two deletes among the 32: only one may land, and nothing after it.
        const commands = Array.from({ length: 32 }, (_, i) =>
          i === 20 || i === 27 ? new DeleteSession() : commandMix[(i + round) % commandMix.length] ?? new DeleteSession())
        const outcomes = yield* Effect.forEach(
          [first, ...services].map((service, i) => [service, commands[i] ?? new DeleteSession()] as const),
          ([service, command]) => Effect.either(service.execute(org, session.sessionId, command)),
          { concurrency: "unbounded" }
        )

        const history = yield* first.history(org, session.sessionId).pipe(
          Effect.catchTag("SessionNotFound", () => Effect.flatMap(EventStore, (store) => store.readStream(session.sessionId))),
          Effect.provide(EventStoreSql),
          Effect.provide(SqlDatabase.postgres({ url: databaseUrl, schema, poolSize: 1 }))
        )
        expect(history.map((e) => e.version)).toEqual(history.map((_, i) => i + 1))
        // Every acknowledged command appended exactly one event.
        expect(history.length).toBe(1 + outcomes.filter(Either.isRight).length)
        let state: SessionState = initialState
        for (const stored of history) {
          expect({ from: state.status, event: stored.event._tag, ok: allowed(state, stored.event) })
            .toEqual({ from: state.status, event: stored.event._tag, ok: true })
          state = evolve(state, stored.event)
        }
        expect(history.filter((e) => e.event._tag === "SessionDeleted").length).toBeLessThanOrEqual(1)
        expect(outcomes.filter(Either.isRight).length).toBeGreaterThan(0)
      }
    }), { timeout: 60_000 })

  it.scopedLive("of 32 appends at the same expected version from 32 pools, exactly one is accepted", () =>
    Effect.gen(function* () {
      const schema = yield* freshSchema
      const stores = yield* Effect.forEach(Array.from({ length: 32 }), () =>
        Layer.build(EventStoreSql.pipe(Layer.provide(SqlDatabase.postgres({ url: databaseUrl, schema, poolSize: 1 })))).pipe(
          Effect.map((context) => Context.get(context, EventStore))
        ))
      const [id, org] = [randomSessionId(), newOrg()]
      const [firstStore] = stores
      if (firstStore === undefined) return expect.unreachable()
      yield* firstStore.append(appendRequest(id, org, [], [created(id, org)]))
      const outcomes = yield* Effect.forEach(
        stores,
        (store, i) => Effect.either(store.append(appendRequest(id, org, [created(id, org)], [new PairingStarted({ method: i % 2 === 0 ? "qr" : "code" })]))),
        { concurrency: "unbounded" }
      )
      expect(outcomes.filter(Either.isRight).length).toBe(1)
      expect(outcomes.filter(Either.isLeft).map((o) => Either.isLeft(o) && o.left._tag)).toEqual(Array(31).fill("VersionConflict"))
      expect((yield* firstStore.readStream(id)).map((e) => e.version)).toEqual([1, 2])
    }), { timeout: 60_000 })

  it.scopedLive("readAll does not pass a row whose transaction is still open, even when later rows committed", () =>
    Effect.gen(function* () {
      const schema = yield* freshSchema
      const context = yield* Layer.build(EventStoreSql.pipe(Layer.provide(SqlDatabase.postgres({ url: databaseUrl, schema, poolSize: 2 }))))
      const store = Context.get(context, EventStore)
      const org = newOrg()
      const [early, late] = [randomSessionId(), randomSessionId()]

      const client = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${schema}` })
      yield* Effect.acquireRelease(Effect.promise(() => client.connect()), () => Effect.promise(() => client.end()))
      yield* Effect.promise(() => client.query("begin"))
      const open = yield* Effect.promise(() =>
        client.query<{ position: string }>(
          `insert into events (stream_id, stream_version, org_id, type, data, occurred_at)
           values ($1, 1, $2, 'SessionCreated', $3::text::jsonb, now()) returning global_position::text as position`,
          [early, org, JSON.stringify({ sessionId: early, orgId: org, name: "slow writer" })]
        ))
      const earlyPosition = BigInt(open.rows[0]?.position ?? "0")

      const committed = yield* store.append(appendRequest(late, org, [], [created(late, org)]))
      expect(committed.lastPosition).toBeGreaterThan(earlyPosition)
      const whileOpen = yield* store.readAll(earlyPosition - 1n, 100)
      expect(whileOpen.map((e) => e.streamId)).toEqual([])

      yield* Effect.promise(() => client.query("commit"))
      const afterCommit = yield* store.readAll(earlyPosition - 1n, 100)
      expect(afterCommit.map((e) => [e.streamId, e.position])).toEqual([[early, earlyPosition], [late, committed.lastPosition]])
    }), { timeout: 60_000 })
})


/** Every row of every table of the store's schema, as text. */
const everyTableAsText = Effect.flatMap(SqlDatabase, ({ db }) =>
  Effect.promise(async () => {
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = current_schema()`.execute(db)
    expect(tables.rows.map((t) => t.table_name)).toEqual(expect.arrayContaining(["events", "sessions", "wa_auth", "api_keys"]))
    const texts = await Promise.all(tables.rows.map(({ table_name }) =>
      sql<{ text: string | null }>`select string_agg(t::text, ' ') as text from ${sql.table(table_name)} t`.execute(db)))
    return texts.map((r) => r.rows[0]?.text ?? "").join("\n")
  }))

const personalData = [identity.phoneNumber, identity.waJid, identity.waLid ?? "", identity.pushName ?? ""]

const erasureSuite = (name: string, database: Layer.Layer<SqlDatabase, unknown>) =>
  layer(Layer.provideMerge(Layer.provideMerge(SessionService.Live, SqlStores), database), { excludeTestServices: true, timeout: "120 seconds" })(
    name,
    (it) => {
      it.effect("after delete no table holds the session's phone number, JIDs, push name or auth state", () =>
        Effect.gen(function* () {
          const service = yield* SessionService
          const auth = yield* AuthStateStore
          const apiKeys = yield* ApiKeyStore
          const org = newOrg()
          const other = new WaIdentity({ phoneNumber: PhoneNumber.make("447700900123"), waJid: "447700900123@s.whatsapp.net", waLid: null, pushName: "Kept" })

          const session = yield* service.create(org, "support")
          yield* service.execute(org, session.sessionId, new StartPairing({ method: "code", phone: identity.phoneNumber }))
          yield* service.execute(org, session.sessionId, new CompletePairing({ identity }))
          yield* auth.set(session.sessionId, [
            { category: "creds", keyId: "", value: { me: { id: identity.waJid, lid: identity.waLid, name: identity.pushName } } },
            { category: "session", keyId: identity.waJid, value: { record: "x" } }
          ])
          const kept = yield* service.create(org, "sales")
          yield* service.execute(org, kept.sessionId, new StartPairing({ method: "qr" }))
          yield* service.execute(org, kept.sessionId, new CompletePairing({ identity: other }))
          yield* auth.set(kept.sessionId, [{ category: "creds", keyId: "", value: { me: { id: other.waJid } } }])
          yield* apiKeys.insert({ id: `key_${org}`, orgId: org, keyHash: `hash_${org}`, capabilities: ["read"], label: null, createdAt: new Date() })

          const before = yield* everyTableAsText
          expect(personalData.filter((p) => before.includes(p))).toEqual(personalData)

          yield* service.execute(org, session.sessionId, new DeleteSession())

          const after = yield* everyTableAsText
          expect(personalData.filter((p) => after.includes(p))).toEqual([])
          expect((yield* auth.get(session.sessionId, "creds", [""])).size).toBe(0)
          expect((yield* auth.get(session.sessionId, "session", [identity.waJid])).size).toBe(0)
          const authRows = yield* Effect.flatMap(SqlDatabase, ({ db }) =>
            Effect.promise(() => db.selectFrom("wa_auth").select("key_id").where("session_id", "=", session.sessionId).execute()))
          expect(authRows).toEqual([])
          // The other session of the org keeps its data.
          expect(after).toContain(other.waJid)
          expect((yield* auth.get(kept.sessionId, "creds", [""])).size).toBe(1)
        }))
    }
  )

describe("erasure", () => {
  erasureSuite("on PostgreSQL", Layer.unwrapScoped(Effect.map(freshSchema, (schema) => SqlDatabase.postgres({ url: databaseUrl, schema }))))
  erasureSuite("on PGlite", pgliteTestDatabase)
})
