import { Context, Duration, Effect, Layer, Queue, Schedule, type Scope } from "effect"
import { sql } from "kysely"
import pg from "pg"
import { query, SqlDatabase } from "../store/sql-database.js"

/** One waiter's wake-ups: collapsed, so a burst of signals is one wake. */
export interface Waiter {
  /** Until the next signal since the last wake, or `timeout` (the slow poll that is the safety net). */
  readonly await: (timeout: Duration.DurationInput) => Effect.Effect<void>
  /** Wakes this waiter only (e.g. a sender whose own delivery just finished). */
  readonly poke: Effect.Effect<void>
}

/**
 * "Something was written that someone may be waiting for": new log events,
 * connection changes, deliveries. In one process a signal; on PostgreSQL
 * also `NOTIFY` to the other processes on the database, which `LISTEN`.
 */
export class Wakeups extends Context.Tag("wa-gateway/Wakeups")<Wakeups, {
  readonly signal: Effect.Effect<void>
  readonly waiter: Effect.Effect<Waiter, never, Scope.Scope>
}>() {
  /** For the memory and PGlite stores: one process is all there is. */
  static readonly inProcess: Layer.Layer<Wakeups> = Layer.sync(this, () => {
    const local = makeLocal()
    return { signal: local.broadcast, waiter: local.waiter }
  })

  /** For PostgreSQL: the in-process signal, plus LISTEN/NOTIFY on a channel of the store's schema. */
  static readonly postgres = (options: { readonly url?: string | undefined; readonly schema?: string | undefined }) =>
    Layer.scoped(this, makePostgres(options))
}

const makeLocal = () => {
  const waiters = new Set<Queue.Queue<void>>()
  const broadcastNow = () => {
    for (const queue of waiters) Queue.unsafeOffer(queue, undefined)
  }
  const waiter: Effect.Effect<Waiter, never, Scope.Scope> = Effect.gen(function* () {
    const queue = yield* Effect.acquireRelease(Queue.sliding<void>(1), (q) =>
      Effect.zipRight(Effect.sync(() => waiters.delete(q)), Queue.shutdown(q)))
    waiters.add(queue)
    return {
      await: (timeout) => Effect.asVoid(Effect.race(Queue.take(queue), Effect.sleep(timeout))),
      poke: Queue.offer(queue, undefined).pipe(Effect.asVoid)
    }
  })
  return { broadcast: Effect.sync(broadcastNow), broadcastNow, waiter }
}

/** Between two NOTIFYs: signals in between collapse into the next one, so a busy log costs few round trips. */
const NOTIFY_SPACING = Duration.millis(5)

const makePostgres = (options: { readonly url?: string | undefined; readonly schema?: string | undefined }) =>
  Effect.gen(function* () {
    const local = makeLocal()
    const { db } = yield* SqlDatabase
    // One channel per schema, so test schemas (and deployments) on one database do not wake each other.
    const schema = options.schema ?? (yield* query(() => sql<{ name: string }>`select current_schema() as name`.execute(db)).pipe(
      Effect.map((r) => r.rows[0]?.name ?? "public"),
      Effect.orElseSucceed(() => "public")
    ))
    const channel = `wa_gateway_${schema}`

    const listenOnce = Effect.gen(function* () {
      const client = yield* Effect.acquireRelease(
        Effect.tryPromise(async () => {
          const c = new pg.Client(options.url === undefined ? {} : { connectionString: options.url })
          // Without a listener pg rethrows a dropped connection as an uncaught error; `end` below reconnects.
          c.on("error", () => undefined)
          await c.connect()
          return c
        }),
        (c) => Effect.promise(() => c.end().catch(() => undefined))
      )
      yield* Effect.tryPromise(() => client.query(`listen "${channel}"`))
      // Whatever was written while no one listened.
      local.broadcastNow()
      yield* Effect.async<never, Error>((resume) => {
        client.on("notification", local.broadcastNow)
        client.once("end", () => resume(Effect.fail(new Error("the LISTEN connection ended"))))
      })
    }).pipe(Effect.scoped)
    // The slow poll covers the time without a listener; keep trying to get one back.
    yield* Effect.forkScoped(Effect.retry(listenOnce, Schedule.spaced("1 second")))

    const pending = yield* Queue.sliding<void>(1)
    // Quietly: while the database is down the slow poll is what there is, and every signal would log.
    const notify = Effect.tryPromise(() => sql`select pg_notify(${channel}, '')`.execute(db)).pipe(Effect.ignore)
    yield* Effect.forkScoped(Effect.forever(Queue.take(pending).pipe(Effect.zipRight(notify), Effect.zipRight(Effect.sleep(NOTIFY_SPACING)))))

    return {
      signal: Effect.zipRight(local.broadcast, Queue.offer(pending, undefined)),
      waiter: local.waiter
    } satisfies Context.Tag.Service<Wakeups>
  })
