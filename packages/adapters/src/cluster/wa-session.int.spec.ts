import { MessageStorage, RunnerAddress, RunnerHealth, Runners, RunnerStorage, Sharding, ShardingConfig } from "@effect/cluster"
import { describe, expect, it } from "@effect/vitest"
import { EngineEvent, type OrgId, SessionEngine, type SessionId, SessionService } from "@wa-gateway/domain"
import { Deferred, Duration, Effect, Layer, Option, Queue, Ref, Schedule, Stream } from "effect"
import { SessionSupervisor } from "../engine/session-supervisor.js"
import { appendHistory, created, newOrg, paired, pairingStarted } from "../store/event-store.contract.spec-helper.js"
import { ConnectionLog } from "../store/connection-log.js"
import { SqlDatabase } from "../store/sql-database.js"
import { SqlStores } from "../store/stores.js"
import { databaseUrl, freshSchema, randomSessionId } from "../store/test-database.spec-helper.js"
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

/** The session's recorded socket changes, oldest first. */
const changes = (sessionId: SessionId) =>
  Effect.flatMap(ConnectionLog, (log) => log.readAfter(0n, 1_000)).pipe(
    Effect.map((events) => events.filter((e) => e.sessionId === sessionId).map((e) => e.change._tag === "Connected" ? "connected" : `disconnected (${e.change.cause})`))
  )

/** Until `check` holds, looked at every 50 ms (a defect after 15 s). */
const eventually = <E, R>(check: Effect.Effect<boolean, E, R>) =>
  Effect.repeat(check, { until: (done) => done, schedule: Schedule.spaced("50 millis") }).pipe(Effect.timeout("15 seconds"), Effect.orDie)

const ensure = (sessionId: SessionId) => Effect.flatMap(WaSession.client, (client) => client(sessionId).Ensure())

describe("a WaSession entity", () => {
  it.live("started for a paired session takes its fence, then reconnects the session", () =>
    Effect.scoped(Effect.gen(function* () {
      const schema = yield* freshSchema
      const engine = yield* pretendEngine
      const context = yield* Layer.build(runner(schema, engine))
      const sessionId = randomSessionId()
      yield* Effect.provide(pairedSession(sessionId, newOrg()), context)

      yield* Effect.provide(ensure(sessionId), context)
      yield* eventually(Effect.map(Ref.get(engine.pretend.open), (open) => open.has(sessionId)))
      expect(Option.isSome(yield* Effect.provide(Effect.flatMap(SessionFences, (f) => f.ownership.fenceOf(sessionId)), context))).toBe(true)
    })), 30_000)

  it.live("on its runner's shutdown closes the socket and records that last Disconnected before it lets the fence go", () =>
    Effect.scoped(Effect.gen(function* () {
      const schema = yield* freshSchema
      const engine = yield* pretendEngine
      const sessionId = randomSessionId()
      const stores = yield* Layer.build(SqlStores.pipe(Layer.provide(SqlDatabase.postgres({ url: databaseUrl, schema, poolSize: 2 }))))
      yield* Effect.scoped(Effect.gen(function* () {
        const context = yield* Layer.build(runner(schema, engine))
        yield* Effect.provide(pairedSession(sessionId, newOrg()), context)
        yield* Effect.provide(ensure(sessionId), context)
        yield* eventually(Effect.provide(Effect.map(changes(sessionId), (seen) => seen.includes("connected")), stores))
      }))
      expect(yield* Deferred.isDone(engine.pretend.stopped)).toBe(true)
      expect(yield* Effect.provide(changes(sessionId), stores)).toEqual(["connected", "disconnected (shutdown)"])
    })), 30_000)

  it.live("lets itself go once its device has logged out", () =>
    Effect.scoped(Effect.gen(function* () {
      const schema = yield* freshSchema
      const engine = yield* pretendEngine
      const context = yield* Layer.build(runner(schema, engine))
      const sessionId = randomSessionId()
      const orgId = newOrg()
      yield* Effect.provide(pairedSession(sessionId, orgId), context)
      yield* Effect.provide(ensure(sessionId), context)
      yield* eventually(Effect.map(Ref.get(engine.pretend.open), (open) => open.has(sessionId)))

      yield* engine.pretend.report(EngineEvent.LoggedOutByDevice({ sessionId }))
      // Idle entities are reaped every 5 s at the soonest (@effect/cluster's reaper); a kept-alive one never.
      expect(yield* Deferred.await(engine.pretend.stopped).pipe(Effect.timeout("20 seconds"))).toBe(sessionId)
      const { state } = yield* Effect.provide(Effect.flatMap(SessionService, (s) => s.load(orgId, sessionId)), context)
      expect(state.status).toBe("logged_out")
    })), 40_000)
})
