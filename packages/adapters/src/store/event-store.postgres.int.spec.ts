import { describe, expect, it } from "@effect/vitest"
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
  PairingAttemptId,
  type SessionId,
  sessionDecider,
  StartCodePairing,
  StartQrPairing,
  WaIdentity,
  isStorableDate,
  PairingStarted,
  PhoneNumber
} from "@wa-gateway/domain"
import { Context, Effect, Either, Layer } from "effect"
import pg from "pg"
import { appendRequest, created, newOrg } from "./event-store.contract.spec-helper.js"
import { EventStoreSql } from "./event-store-sql.js"
import { SqlDatabase } from "./sql-database.js"
import { databaseUrl, freshSchema, randomSessionId } from "./test-database.spec-helper.js"

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

// One attempt id throughout, so a CompletePairing matches whichever pairing started last.
const attemptId = PairingAttemptId.make("pair_01HZX8K3M9ABCDEFGHJKMNPQRS")

const commandMix = (sessionId: SessionId): ReadonlyArray<SessionCommand> => [
  new StartQrPairing({ sessionId, attemptId }),
  new CompletePairing({ sessionId, attemptId, identity }),
  new StartCodePairing({ sessionId, attemptId, phone: identity.phoneNumber }),
  new FailPairing({ sessionId, attemptId, reason: "expired" }),
  new CompletePairing({ sessionId, attemptId, identity }),
  new Logout({ sessionId, by: "user" }),
  new StartQrPairing({ sessionId, attemptId }),
  new CompletePairing({ sessionId, attemptId, identity })
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
        const deleteIt = new DeleteSession({ sessionId: session.sessionId })
        const mix = commandMix(session.sessionId)
        const commands = Array.from({ length: 32 }, (_, i) => i === 20 || i === 27 ? deleteIt : mix[(i + round) % mix.length] ?? deleteIt)
        const outcomes = yield* Effect.forEach(
          [first, ...services].map((service, i) => [service, commands[i] ?? deleteIt] as const),
          ([service, command]) => Effect.either(service.execute(org, command)),
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
        let state: SessionState = sessionDecider.initialState
        for (const stored of history) {
          expect({ from: state.status, event: stored.event._tag, ok: allowed(state, stored.event) })
            .toEqual({ from: state.status, event: stored.event._tag, ok: true })
          state = sessionDecider.evolve(state, stored.event)
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

describe("EventStore on PostgreSQL, at the edges of what it can store", () => {
  it.scopedLive("takes a page cursor at either end of StorableDate, and refuses the instant before the first", () =>
    Effect.gen(function* () {
      const schema = yield* freshSchema
      const context = yield* Layer.build(EventStoreSql.pipe(Layer.provide(SqlDatabase.postgres({ url: databaseUrl, schema, poolSize: 1 }))))
      const store = Context.get(context, EventStore)
      const orgId = newOrg()
      const page = (createdAt: Date) => store.listSessions({ orgId, pageSize: 1, after: { createdAt, sessionId: randomSessionId() } })
      const earliest = new Date("-004713-11-24T00:00:00.000Z")
      const latest = new Date(8.64e15)
      expect([isStorableDate(earliest), isStorableDate(latest)]).toEqual([true, true])
      expect((yield* page(earliest)).sessions).toEqual([])
      expect((yield* page(latest)).sessions).toEqual([])
      // Why the rule is at the boundary: the store reports this as if it were down.
      const before = new Date(earliest.getTime() - 1)
      expect(isStorableDate(before)).toBe(false)
      expect((yield* Effect.flip(page(before)))._tag).toBe("StoreUnavailable")
    }))
})
