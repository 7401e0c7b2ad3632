import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Fiber, Layer, Option, Queue, Schedule, Schema, Stream } from "effect"
import { OrgId, SessionService } from "@wa-gateway/domain"
import { SessionSupervisor } from "../engine/session-supervisor.js"
import { simulatorEngineLayer } from "../engine/simulator/simulator-engine.js"
import { Gateway } from "../gateway/gateway.js"
import { gatewayStores, simulatorGatewayLayer } from "../gateway/layer.js"
import { databaseUrl, freshSchema, randomSessionId } from "../store/test-database.spec-helper.js"
import { WebhookStore } from "../store/webhook-store.js"
import { EventFeed, type FeedEvent } from "./event-feed.js"
import { WebhookUrl } from "./webhook-url.js"

const acme = OrgId.make("acme")

/** A gateway on PostgreSQL in a schema of its own, with a quick safety poll (raw inserts below signal nothing). */
const onPostgres = <A, E>(body: (schema: string) => Effect.Effect<A, E, Gateway | WebhookStore>) =>
  Effect.scoped(Effect.gen(function* () {
    const schema = yield* freshSchema
    return yield* Effect.provide(
      body(schema),
      simulatorGatewayLayer({ store: { _tag: "postgres", url: databaseUrl, schema }, webhooks: { pollInterval: "100 millis" } })
    )
  }))

/** An event appended outside the gateway, in a transaction left open until `commit`. */
const openTransaction = (schema: string, orgId: string) =>
  Effect.promise(async () => {
    const pg = (await import("pg")).default
    const client = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${schema}` })
    await client.connect()
    const sessionId = randomSessionId()
    await client.query("begin")
    const { rows } = await client.query<{ position: string }>(
      `insert into events (stream_id, stream_version, org_id, type, data, occurred_at)
       values ($1, 1, $2, 'SessionCreated', $3::jsonb, now()) returning global_position::text as position`,
      [sessionId, orgId, JSON.stringify({ sessionId, orgId, name: "slow" })]
    )
    return {
      sessionId,
      position: BigInt(rows[0]?.position ?? "0"),
      commit: () => Effect.promise(async () => {
        await client.query("commit")
        await client.end()
      })
    }
  })

const collect = (stream: Stream.Stream<FeedEvent, unknown>) =>
  Effect.gen(function* () {
    const seen = yield* Queue.unbounded<FeedEvent>()
    yield* Effect.forkScoped(Stream.runForEach(stream, (e) => Queue.offer(seen, e)))
    const take = (n: number) => Effect.map(Effect.all(Array.from({ length: n }, () => Queue.take(seen))), (events) => events)
    return { take, size: Queue.size(seen) }
  })

describe("the event feed and the router on PostgreSQL", () => {
  it.live("two appends whose commits come out of order are both delivered, in log order, by the feed and to a webhook", () =>
    onPostgres((schema) =>
      Effect.scoped(Effect.gen(function* () {
        const gateway = yield* Gateway
        const feed = yield* collect(gateway.subscribe(acme))
        const { webhook } = yield* gateway.webhooks.create(acme, { url: Schema.decodeSync(WebhookUrl)("http://127.0.0.1:9/unreachable"), events: ["session.created"] })
        // Let the subscription register before the appends.
        yield* Effect.sleep("200 millis")

        const slow = yield* openTransaction(schema, acme)
        const fast = yield* openTransaction(schema, acme)
        expect(fast.position).toBeGreaterThan(slow.position)
        yield* fast.commit()
        // The later position is committed, but an older transaction is still open: nobody may read past it yet.
        yield* Effect.sleep("400 millis")
        expect(yield* feed.size).toBe(0)
        yield* slow.commit()
        const events = yield* feed.take(2)
        expect(events.map((e) => [e.position, e.payload.data["sessionId"]])).toEqual([
          [slow.position, slow.sessionId],
          [fast.position, fast.sessionId]
        ])
        yield* Effect.sleep("300 millis")
        expect(yield* feed.size).toBe(0)

        const store = yield* WebhookStore
        const deliveries = yield* store.deliveries({ orgId: acme, webhookId: webhook.webhookId, status: null, pageSize: 10, afterSequence: null })
        expect(Option.map(deliveries, (p) => p.deliveries.map((d) => d.position).reverse())).toEqual(Option.some([slow.position, fast.position]))
      }))))
})

describe("the event feed", () => {
  const domain = Layer.provideMerge(SessionService.Live, gatewayStores({ _tag: "memory" }))
  const supervised = Layer.provideMerge(SessionSupervisor.Live, Layer.merge(domain, simulatorEngineLayer({ seed: 2 })))

  it.live("cuts off a subscriber whose buffer passes the bound, without holding up the others", () =>
    Effect.scoped(Effect.gen(function* () {
      const feed = yield* EventFeed
      const sessions = yield* SessionService
      const pull = yield* Stream.toPull(feed.subscribe(acme, {}))
      // The first pull subscribes; after it, this subscriber reads nothing more.
      const first = yield* Effect.fork(pull)
      const keeping = yield* collect(feed.subscribe(acme, {}))
      yield* Effect.repeat(feed.subscribers, { until: (n) => n === 2, schedule: Schedule.spaced("10 millis") })
      // Paced, so the subscriber that keeps up never has more than one waiting.
      for (let i = 0; i < 6; i++) yield* Effect.zipRight(sessions.create(acme, `s${i}`), Effect.sleep("30 millis"))
      expect((yield* keeping.take(6)).length).toBe(6)
      expect(Chunk.size(yield* Fiber.join(first))).toBe(1)
      const outcome = yield* Effect.either(Effect.repeat(pull, { until: () => false }))
      expect(Either.isLeft(outcome) && Option.getOrUndefined(outcome.left)?._tag).toBe("SubscriberTooSlow")
      expect(yield* feed.subscribers).toBe(1)
    })).pipe(Effect.provide(Layer.provideMerge(EventFeed.layer({ bufferSize: 3, pollInterval: "50 millis" }), supervised))))

  it.live("a stream that is interrupted leaves no subscriber behind", () =>
    Effect.gen(function* () {
      const feed = yield* EventFeed
      const fiber = yield* Effect.fork(Stream.runDrain(feed.subscribe(acme, {})))
      yield* Effect.sleep("50 millis")
      expect(yield* feed.subscribers).toBe(1)
      yield* Fiber.interrupt(fiber)
      expect(yield* feed.subscribers).toBe(0)
    }).pipe(Effect.provide(Layer.provideMerge(EventFeed.layer(), supervised))))

})
