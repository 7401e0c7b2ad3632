import { MessageStorage, RunnerAddress, RunnerHealth, Runners, RunnerStorage, Sharding, ShardingConfig } from "@effect/cluster"
import { describe, expect, it } from "@effect/vitest"
import { EngineEvent, type OrgId, SessionEngine, type SessionId, SessionService } from "@wa-gateway/domain"
import { Deferred, Duration, Effect, Layer, Option, Queue, Ref, Schedule, Stream } from "effect"
import pg from "pg"
import { SessionSupervisor } from "../engine/session-supervisor.js"
import { appendHistory, created, newOrg, paired, pairingStarted } from "../store/event-store.contract.spec-helper.js"
import { SqlDatabase } from "../store/sql-database.js"
import { SqlStores } from "../store/stores.js"
import { databaseUrl, freshSchema, randomSessionId, withClient } from "../store/test-database.spec-helper.js"
import { fencedAdmission } from "./cluster-engine.js"
import { SessionFences } from "./session-fences.js"
import { WaSession } from "./wa-session-entity.js"
import { WaSessionLive } from "./wa-session-handlers.js"

// One runner of the cluster, on the real stores and fences, with an engine
// that only pretends to hold sockets: what a `WaSession` entity does at its
// start, when its device logs out, and when its runner stops.

interface PretendEngine {
  /** Sessions whose socket is "open". */
  readonly open: Ref.Ref<ReadonlySet<SessionId>>
  /** Completed with the session each `stop` is asked for. */
  readonly stopped: Deferred.Deferred<SessionId>
  /** Reports something of a session as the real engine would. */
  readonly report: (event: EngineEvent) => Effect.Effect<void>
}

const pretendEngine = Effect.gen(function* () {
  const open = yield* Ref.make<ReadonlySet<SessionId>>(new Set())
  const stopped = yield* Deferred.make<SessionId>()
  const events = yield* Queue.unbounded<EngineEvent>()
  const close = (sessionId: SessionId) =>
    Ref.modify(open, (set) => [set.has(sessionId), new Set([...set].filter((s) => s !== sessionId))] as const)
  const engine = SessionEngine.of({
    name: "pretend",
    warnings: [],
    startPairing: () => Effect.dieMessage("not in these tests"),
    currentChallenge: () => Effect.succeedNone,
    isConnected: (sessionId) => Effect.map(Ref.get(open), (set) => set.has(sessionId)),
    logout: () => Effect.void,
    resume: (sessionId) =>
      Effect.zipRight(Ref.update(open, (set) => new Set([...set, sessionId])), Queue.offer(events, EngineEvent.Connected({ sessionId }))),
    stop: (sessionId) =>
      Effect.gen(function* () {
        if (yield* close(sessionId)) yield* Queue.offer(events, EngineEvent.Disconnected({ sessionId, cause: "shutdown", willReconnect: false }))
        yield* Deferred.succeed(stopped, sessionId)
      }),
    purge: (sessionId) => Effect.asVoid(close(sessionId)),
    events: Stream.fromQueue(events)
  })
  return { engine, pretend: { open, stopped, report: (event: EngineEvent) => Queue.offer(events, event) } satisfies PretendEngine }
})

/** The runner: stores and fences on a fresh schema, the supervisor, `Sharding` on memory storage, the entity. */
const runner = (schema: string, pretend: Effect.Effect.Success<typeof pretendEngine>) => {
  const database = SqlDatabase.postgres({ url: databaseUrl, schema, poolSize: 4 })
  const stores = Layer.provideMerge(SqlStores, SessionFences.layer("127.0.0.1:34431")).pipe(Layer.provideMerge(database))
  const domain = Layer.provideMerge(SessionService.Live, stores)
  const engine = Layer.provideMerge(Layer.succeed(SessionEngine, pretend.engine), Layer.provideMerge(fencedAdmission, domain))
  const supervised = Layer.provideMerge(SessionSupervisor.layer({ resumeOnBoot: false }), engine)
  const sharding = Sharding.layer.pipe(
    Layer.provideMerge(Runners.layerNoop),
    Layer.provideMerge(MessageStorage.layerMemory),
    Layer.provide([RunnerStorage.layerMemory, RunnerHealth.layerNoop]),
    Layer.provide(ShardingConfig.layer({
      runnerAddress: Option.some(RunnerAddress.make("127.0.0.1", 34431)),
      shardsPerGroup: 4,
      entityMessagePollInterval: Duration.millis(100),
      refreshAssignmentsInterval: Duration.millis(100),
      entityMaxIdleTime: Duration.millis(100)
    }))
  )
  return Layer.provideMerge(WaSessionLive, Layer.merge(sharding, supervised))
}

const pairedSession = (sessionId: SessionId, orgId: OrgId) => appendHistory(sessionId, orgId, [created(sessionId, orgId), pairingStarted, paired])

/**
 * The session's recorded socket changes, oldest first, read directly: the connection log's own reader
 * holds back rows while any transaction on the server is older (its xid8 rule), which tests running
 * beside this one make likely.
 */
const changes = (schema: string, sessionId: SessionId) =>
  withClient((client) =>
    client.query<{ type: string; cause: string | null }>(
      `select type, cause from "${schema}".connection_events where session_id = $1 order by position`,
      [sessionId]
    )).pipe(Effect.map((result) => result.rows.map((row) => row.cause === null ? row.type : `${row.type} (${row.cause})`)))

/** Until `check` holds, looked at every 50 ms (a defect after 15 s). */
const eventually = <E, R>(check: Effect.Effect<boolean, E, R>) =>
  Effect.repeat(check, { until: (done) => done, schedule: Schedule.spaced("50 millis") }).pipe(Effect.timeout("15 seconds"), Effect.orDie)

const ensure = (sessionId: SessionId) => Effect.flatMap(WaSession.client, (client) => client(sessionId).Ensure())

/** A runner in a fresh schema with one paired session, its entity started and its socket open. */
const connectedOnRunner = Effect.gen(function* () {
  const schema = yield* freshSchema
  const engine = yield* pretendEngine
  const context = yield* Layer.build(runner(schema, engine))
  const sessionId = randomSessionId()
  const orgId = newOrg()
  yield* Effect.provide(pairedSession(sessionId, orgId), context)
  yield* Effect.provide(ensure(sessionId), context)
  yield* eventually(Effect.map(Ref.get(engine.pretend.open), (open) => open.has(sessionId)))
  return { schema, engine, context, sessionId, orgId }
})

describe("a WaSession entity", () => {
  it.live("started for a paired session takes its fence, then reconnects the session", () =>
    Effect.scoped(Effect.gen(function* () {
      const { context, sessionId } = yield* connectedOnRunner
      expect(Option.isSome(yield* Effect.provide(Effect.flatMap(SessionFences, (f) => f.ownership.fenceOf(sessionId)), context))).toBe(true)
    })), 30_000)

  it.live("on its runner's shutdown closes the socket and records that last Disconnected before it lets the fence go", () =>
    Effect.scoped(Effect.gen(function* () {
      const schema = yield* freshSchema
      const engine = yield* pretendEngine
      const sessionId = randomSessionId()
      yield* Effect.scoped(Effect.gen(function* () {
        const context = yield* Layer.build(runner(schema, engine))
        yield* Effect.provide(pairedSession(sessionId, newOrg()), context)
        yield* Effect.provide(ensure(sessionId), context)
        yield* eventually(Effect.map(changes(schema, sessionId), (seen) => seen.includes("session.connected")))
      }))
      expect(yield* Deferred.isDone(engine.pretend.stopped)).toBe(true)
      expect(yield* changes(schema, sessionId)).toEqual(["session.connected", "session.disconnected (shutdown)"])
    })), 30_000)

  it.live("stops after a bound when its last Disconnected cannot be recorded (the connection log hangs)", () =>
    Effect.scoped(Effect.gen(function* () {
      const { schema, engine, context, sessionId } = yield* connectedOnRunner
      yield* eventually(Effect.map(changes(schema, sessionId), (seen) => seen.includes("session.connected")))
      const fenceOf = Effect.provide(Effect.flatMap(SessionFences, (f) => f.ownership.fenceOf(sessionId)), context)
      expect(Option.isSome(yield* fenceOf)).toBe(true)

      // Another transaction locks the connection log: the Disconnected's insert waits for it.
      const locker = new pg.Client({ connectionString: databaseUrl })
      yield* Effect.promise(() => locker.connect())
      yield* Effect.addFinalizer(() => Effect.promise(() => locker.query("rollback").then(() => locker.end())))
      yield* Effect.promise(() => locker.query(`begin; lock table "${schema}".connection_events in access exclusive mode`))

      // The device logs out: the entity goes idle, is reaped, closes its socket and, after the bound, its fence.
      yield* engine.pretend.report(EngineEvent.LoggedOutByDevice({ sessionId }))
      yield* Deferred.await(engine.pretend.stopped).pipe(Effect.timeout("30 seconds"))
      yield* eventually(Effect.map(fenceOf, Option.isNone))
      yield* Effect.promise(() => locker.query("rollback"))
    })), 60_000)

  it.live("lets itself go once its device has logged out", () =>
    Effect.scoped(Effect.gen(function* () {
      const { engine, context, sessionId, orgId } = yield* connectedOnRunner
      yield* engine.pretend.report(EngineEvent.LoggedOutByDevice({ sessionId }))
      // Idle entities are reaped every 5 s at the soonest (@effect/cluster's reaper); a kept-alive one never.
      expect(yield* Deferred.await(engine.pretend.stopped).pipe(Effect.timeout("30 seconds"))).toBe(sessionId)
      const { state } = yield* Effect.provide(Effect.flatMap(SessionService, (s) => s.load(orgId, sessionId)), context)
      expect(state.status).toBe("logged_out")
    })), 60_000)
})
