import { expect, layer } from "@effect/vitest"
import { EventStore, type OrgId, type StoreUnavailable } from "@wa-gateway/domain"
import { Effect, type Layer, Option, Schedule } from "effect"
import { makeDeliveryId, makeWebhookId, type WebhookId } from "../webhooks/webhook-ids.js"
import { ConnectionLog } from "./connection-log.js"
import { appendHistory, created, newOrg, pairingStarted } from "./event-store.contract.spec-helper.js"
import { randomSessionId } from "./test-database.spec-helper.js"
import { type DeliveryOutcome, type NewDelivery, type WebhookRecord, WebhookStore } from "./webhook-store.js"

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds))

const newWebhook = (orgId: OrgId, overrides: Partial<WebhookRecord> = {}) =>
  Effect.map(makeWebhookId, (webhookId): WebhookRecord => ({
    webhookId,
    orgId,
    url: "https://example.test/hook",
    events: ["session.created", "session.paired"],
    sessionIds: null,
    description: null,
    enabled: true,
    createdAt: at(0),
    updatedAt: at(0),
    secrets: { current: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", previous: null },
    ...overrides
  }))

const targetOf = (webhookId: WebhookId) => Effect.flatMap(WebhookStore, (store) => store.routingTargets).pipe(
  Effect.map((targets) => targets.find((t) => t.webhookId === webhookId))
)

/** A test delivery of `webhookId` in `lane`, due at `due`. */
const testDelivery = (webhookId: WebhookId, lane: string, due: Date): Effect.Effect<NewDelivery> =>
  Effect.map(makeDeliveryId, (deliveryId) => ({
    deliveryId,
    webhookId,
    messageId: `msg_${deliveryId}`,
    eventType: "webhook.test",
    lane,
    source: { _tag: "Test" },
    sessionStatus: null,
    connected: null,
    createdAt: due
  }))

const claimAll = (now: Date, token: string, limit = 100) =>
  Effect.flatMap(WebhookStore, (store) =>
    store.claim({ now, limit, leaseUntil: new Date(now.getTime() + 60_000), leaseToken: token, excluding: [] }))

const succeeded: DeliveryOutcome = { _tag: "Succeeded", statusCode: 204 }

/**
 * The behaviour every WebhookStore and ConnectionLog share. `stores` is built
 * once for the suite; each case uses its own orgs and subscriptions, and
 * claims only what it queued (far-future times keep other cases' deliveries out).
 */
export const webhookStoreContract = (
  name: string,
  stores: Layer.Layer<EventStore | WebhookStore | ConnectionLog, StoreUnavailable>
) =>
  layer(stores, { timeout: "120 seconds" })(name, (it) => {
    it.effect("keeps a subscription of one org: another org neither gets, changes nor removes it", () =>
      Effect.gen(function* () {
        const store = yield* WebhookStore
        const [mine, theirs] = [newOrg(), newOrg()]
        const record = yield* newWebhook(mine, { sessionIds: [randomSessionId()], description: "crm" })
        yield* store.create(record)
        expect(yield* store.get(mine, record.webhookId)).toEqual(Option.some(record))
        expect(yield* store.get(theirs, record.webhookId)).toEqual(Option.none())
        expect(yield* store.update(theirs, record.webhookId, { enabled: false, updatedAt: at(5) })).toEqual(Option.none())
        expect(yield* store.remove(theirs, record.webhookId)).toBe(false)
        expect(yield* store.deliveries({ orgId: theirs, webhookId: record.webhookId, status: null, pageSize: 10, afterSequence: null }))
          .toEqual(Option.none())
        expect(yield* store.startReplay(theirs, record.webhookId, { replayId: "r1", fromPosition: 0n, at: at(1) })).toBe(false)
        expect(yield* store.enqueueTest(theirs, yield* testDelivery(record.webhookId, "x", at(1)))).toBe(false)

        const updated = yield* store.update(mine, record.webhookId, {
          url: "https://example.test/other",
          sessionIds: null,
          description: null,
          enabled: false,
          updatedAt: at(5)
        })
        expect(Option.map(updated, (r) => [r.url, r.sessionIds, r.description, r.enabled, r.updatedAt, r.events])).toEqual(
          Option.some(["https://example.test/other", null, null, false, at(5), ["session.created", "session.paired"]])
        )
        expect(yield* store.remove(mine, record.webhookId)).toBe(true)
        expect(yield* store.get(mine, record.webhookId)).toEqual(Option.none())
      }))

    it.effect("pages an org's subscriptions newest first", () =>
      Effect.gen(function* () {
        const store = yield* WebhookStore
        const org = newOrg()
        const records: Array<WebhookRecord> = []
        for (const second of [1, 2, 2, 3]) {
          const record = yield* newWebhook(org, { createdAt: at(second), updatedAt: at(second) })
          records.push(record)
          yield* store.create(record)
        }
        yield* store.create(yield* newWebhook(newOrg()))
        const expected = [...records]
          .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (b.webhookId < a.webhookId ? -1 : 1))
          .map((r) => r.webhookId)
        const first = yield* store.list({ orgId: org, pageSize: 3, after: null })
        const last = first.webhooks.at(-1)
        expect(last).toBeDefined()
        const second = yield* store.list({ orgId: org, pageSize: 3, after: last === undefined ? null : { createdAt: last.createdAt, webhookId: last.webhookId } })
        expect([...first.webhooks, ...second.webhooks].map((w) => w.webhookId)).toEqual(expected)
        expect([first.hasMore, second.hasMore]).toEqual([true, false])
      }))

    it.effect("rotates a secret, keeping the replaced one until its expiry", () =>
      Effect.gen(function* () {
        const store = yield* WebhookStore
        const org = newOrg()
        const record = yield* newWebhook(org)
        yield* store.create(record)
        const rotated = yield* store.rotateSecret(org, record.webhookId, { secret: "whsec_new", previousExpiresAt: at(100), at: at(10) })
        expect(Option.map(rotated, (r) => [r.secrets, r.updatedAt])).toEqual(
          Option.some([{ current: "whsec_new", previous: { secret: record.secrets.current, expiresAt: at(100) } }, at(10)])
        )
        expect(yield* store.rotateSecret(newOrg(), record.webhookId, { secret: "x", previousExpiresAt: at(1), at: at(1) })).toEqual(Option.none())
      }))

    it.effect("starts a subscription at the heads of both logs, so it gets only what happens after it", () =>
      Effect.gen(function* () {
        const store = yield* WebhookStore
        const connections = yield* ConnectionLog
        const events = yield* EventStore
        const [org, id] = [newOrg(), randomSessionId()]
        yield* appendHistory(id, org, [created(id, org)])
        const recorded = yield* connections.record({ sessionId: id, orgId: org, change: { _tag: "Connected" }, status: "unpaired", occurredAt: at(1) })
        // On PostgreSQL a row is readable once every transaction older than its own has ended (DESIGN §3), and
        // other test files' transactions run on the same server: wait until both writes are readable.
        const readable = Effect.gen(function* () {
          const logged = (yield* events.readAll(0n, 1_000_000)).some((e) => e.streamId === id)
          const connected = (yield* connections.readAfter(recorded.position - 1n, 1)).length === 1
          return logged && connected
        })
        yield* readable.pipe(Effect.repeat({ until: (ok) => ok, schedule: Schedule.spaced("20 millis") }), Effect.timeout("10 seconds"))
        const record = yield* newWebhook(org)
        yield* store.create(record)
        const target = yield* targetOf(record.webhookId)
        const logHead = (yield* events.readAll(0n, 1_000_000)).at(-1)?.position
        expect(target?.logCheckpoint).toBe(logHead)
        expect(target?.connectionCheckpoint).toBe(recorded.position)
        expect(yield* store.logHead).toBe(logHead)
        expect(yield* connections.head).toBe(recorded.position)
      }))

    it.effect("records connection changes in order and reads them after a position", () =>
      Effect.gen(function* () {
        const connections = yield* ConnectionLog
        const [org, id] = [newOrg(), randomSessionId()]
        const start = yield* connections.head
        const first = yield* connections.record({ sessionId: id, orgId: org, change: { _tag: "Connected" }, status: "paired", occurredAt: at(1) })
        const second = yield* connections.record({
          sessionId: id,
          orgId: org,
          change: { _tag: "Disconnected", cause: "connection_lost", willReconnect: true },
          status: "paired",
          occurredAt: at(2)
        })
        const read = (yield* connections.readAfter(start, 1_000)).filter((e) => e.sessionId === id)
        expect(read).toEqual([first, second])
        expect(second.position).toBeGreaterThan(first.position)
        expect((yield* connections.readAfter(first.position, 1_000)).filter((e) => e.sessionId === id)).toEqual([second])
      }))

    it.effect("moves a checkpoint only from where the router read it, and queues deliveries only then", () =>
      Effect.gen(function* () {
        const store = yield* WebhookStore
        const org = newOrg()
        const record = yield* newWebhook(org)
        yield* store.create(record)
        const target = yield* targetOf(record.webhookId)
        const from = target?.logCheckpoint ?? 0n
        const advance = { webhookId: record.webhookId, log: { from, to: from + 5n }, connection: null }
        const first = yield* testDelivery(record.webhookId, "a", at(1))
        expect(yield* store.enqueue([advance], [first])).toBe(1)
        // A second router that read the same checkpoint changes nothing.
        expect(yield* store.enqueue([advance], [yield* testDelivery(record.webhookId, "a", at(1))])).toBe(0)
        expect((yield* targetOf(record.webhookId))?.logCheckpoint).toBe(from + 5n)
        const page = yield* store.deliveries({ orgId: org, webhookId: record.webhookId, status: null, pageSize: 10, afterSequence: null })
        expect(Option.map(page, (p) => p.deliveries.map((d) => [d.deliveryId, d.status, d.attempts, d.nextAttemptAt]))).toEqual(
          Option.some([[first.deliveryId, "pending", 0, at(1)]])
        )
        yield* store.remove(org, record.webhookId)
      }))

    it.effect("claims one delivery per lane at a time, in order, and never one another sender holds", () =>
      Effect.gen(function* () {
        const store = yield* WebhookStore
        const org = newOrg()
        const record = yield* newWebhook(org)
        yield* store.create(record)
        const base = new Date(Date.UTC(2100, 0, 1)).getTime()
        const due = new Date(base)
        const a1 = yield* testDelivery(record.webhookId, "lane-a", due)
        const a2 = yield* testDelivery(record.webhookId, "lane-a", due)
        const b1 = yield* testDelivery(record.webhookId, "lane-b", due)
        for (const d of [a1, a2, b1]) expect(yield* store.enqueueTest(org, d)).toBe(true)
        const now = new Date(base + 1_000)

        const first = yield* claimAll(now, "one")
        expect(first.map((d) => d.deliveryId).sort()).toEqual([a1.deliveryId, b1.deliveryId].sort())
        expect(first.map((d) => d.attempts)).toEqual([1, 1])
        // Both lanes are in flight: nothing more for anyone.
        expect(yield* claimAll(now, "two")).toEqual([])

        // A retry scheduled later does not hold up the next of its lane.
        expect(yield* store.complete(a1.deliveryId, "one", { _tag: "Retry", statusCode: 500, error: "HTTP 500", nextAttemptAt: new Date(base + 600_000) }, now)).toBe(true)
        expect((yield* claimAll(now, "two")).map((d) => d.deliveryId)).toEqual([a2.deliveryId])
        // A stale lease is not the holder's any more.
        expect(yield* store.complete(a1.deliveryId, "one", succeeded, now)).toBe(false)
        expect(yield* store.complete(b1.deliveryId, "two", succeeded, now)).toBe(false)
        expect(yield* store.complete(b1.deliveryId, "one", succeeded, now)).toBe(true)

        // The holder of a2 died: after its lease it is due again, and counted as another attempt.
        const later = new Date(base + 120_000)
        const again = yield* claimAll(later, "three")
        expect(again.map((d) => [d.deliveryId, d.attempts])).toEqual([[a2.deliveryId, 2]])
        expect(yield* store.complete(a2.deliveryId, "three", succeeded, later)).toBe(true)
        const retried = yield* claimAll(new Date(base + 700_000), "four")
        expect(retried.map((d) => [d.deliveryId, d.attempts])).toEqual([[a1.deliveryId, 2]])

        const page = yield* store.deliveries({ orgId: org, webhookId: record.webhookId, status: "succeeded", pageSize: 10, afterSequence: null })
        expect(Option.map(page, (p) => p.deliveries.map((d) => [d.deliveryId, d.lastStatusCode, d.nextAttemptAt]))).toEqual(
          Option.some([[b1.deliveryId, 204, null], [a2.deliveryId, 204, null]])
        )
        yield* store.remove(org, record.webhookId)
      }))

    it.effect("skips the subscriptions a sender excludes, and disabled ones except for tests", () =>
      Effect.gen(function* () {
        const store = yield* WebhookStore
        const org = newOrg()
        const [busy, off] = [yield* newWebhook(org), yield* newWebhook(org, { enabled: false })]
        yield* store.create(busy)
        yield* store.create(off)
        const due = new Date(Date.UTC(2101, 0, 1))
        const onBusy = yield* testDelivery(busy.webhookId, "a", due)
        yield* store.enqueueTest(org, onBusy)
        const target = yield* targetOf(off.webhookId)
        const routed: NewDelivery = { ...(yield* testDelivery(off.webhookId, "b", due)), eventType: "session.created", source: { _tag: "Test" } }
        const test = yield* testDelivery(off.webhookId, "c", due)
        yield* store.enqueue([{ webhookId: off.webhookId, log: { from: target?.logCheckpoint ?? 0n, to: (target?.logCheckpoint ?? 0n) + 1n }, connection: null }], [routed])
        yield* store.enqueueTest(org, test)
        const claimed = yield* store.claim({ now: due, limit: 10, leaseUntil: new Date(due.getTime() + 1), leaseToken: "t", excluding: [busy.webhookId] })
        expect(claimed.map((d) => d.deliveryId)).toEqual([test.deliveryId])
        yield* store.remove(org, busy.webhookId)
        yield* store.remove(org, off.webhookId)
      }))

    it.effect("fails a delivery for good, and on 410 disables its subscription", () =>
      Effect.gen(function* () {
        const store = yield* WebhookStore
        const org = newOrg()
        const record = yield* newWebhook(org)
        yield* store.create(record)
        const due = new Date(Date.UTC(2102, 0, 1))
        const d = yield* testDelivery(record.webhookId, "a", due)
        yield* store.enqueueTest(org, d)
        yield* claimAll(due, "t")
        expect(yield* store.complete(d.deliveryId, "t", { _tag: "Failed", statusCode: 410, error: "HTTP 410", disableWebhook: true }, due)).toBe(true)
        expect(Option.map(yield* store.get(org, record.webhookId), (r) => r.enabled)).toEqual(Option.some(false))
        const page = yield* store.deliveries({ orgId: org, webhookId: record.webhookId, status: "failed", pageSize: 10, afterSequence: null })
        expect(Option.map(page, (p) => p.deliveries.map((x) => [x.deliveryId, x.lastStatusCode, x.lastError, x.attempts]))).toEqual(
          Option.some([[d.deliveryId, 410, "HTTP 410", 1]])
        )
        yield* store.remove(org, record.webhookId)
      }))

    it.effect("records a batch of outcomes in one write, each only under its own lease; a released delivery is due again, its attempt not counted", () =>
      Effect.gen(function* () {
        const store = yield* WebhookStore
        const org = newOrg()
        const [record, gone] = [yield* newWebhook(org), yield* newWebhook(org)]
        yield* store.create(record)
        yield* store.create(gone)
        const due = new Date(Date.UTC(2110, 0, 1))
        const [a, b, c] = [yield* testDelivery(record.webhookId, "a", due), yield* testDelivery(record.webhookId, "b", due), yield* testDelivery(record.webhookId, "c", due)]
        const g = yield* testDelivery(gone.webhookId, "g", due)
        for (const d of [a, b, c, g]) yield* store.enqueueTest(org, d)
        expect((yield* claimAll(due, "t")).length).toBe(4)
        const recorded = yield* store.completeAll([
          { deliveryId: a.deliveryId, leaseToken: "t", outcome: succeeded },
          { deliveryId: b.deliveryId, leaseToken: "t", outcome: { _tag: "Released" } },
          { deliveryId: c.deliveryId, leaseToken: "not-mine", outcome: succeeded },
          { deliveryId: g.deliveryId, leaseToken: "t", outcome: { _tag: "Failed", statusCode: 410, error: "HTTP 410", disableWebhook: true } }
        ], due)
        expect([...recorded].sort()).toEqual([a.deliveryId, b.deliveryId, g.deliveryId].sort())
        expect(Option.map(yield* store.get(org, gone.webhookId), (r) => r.enabled)).toEqual(Option.some(false))
        expect(Option.map(yield* store.get(org, record.webhookId), (r) => r.enabled)).toEqual(Option.some(true))
        // Released: due at once, and its next attempt is counted as the first.
        const again = yield* claimAll(due, "u")
        expect(again.map((d) => [d.deliveryId, d.attempts])).toEqual([[b.deliveryId, 1]])
        const page = yield* store.deliveries({ orgId: org, webhookId: record.webhookId, status: "succeeded", pageSize: 10, afterSequence: null })
        expect(Option.map(page, (p) => p.deliveries.map((x) => x.deliveryId))).toEqual(Option.some([a.deliveryId]))
        yield* store.remove(org, record.webhookId)
        yield* store.remove(org, gone.webhookId)
      }))

    it.effect("claims at most a subscription's share, less what the sender holds of it", () =>
      Effect.gen(function* () {
        const store = yield* WebhookStore
        const org = newOrg()
        const [one, two] = [yield* newWebhook(org), yield* newWebhook(org)]
        yield* store.create(one)
        yield* store.create(two)
        const due = new Date(Date.UTC(2111, 0, 1))
        for (let i = 0; i < 4; i++) {
          yield* store.enqueueTest(org, yield* testDelivery(one.webhookId, `one-${i}`, due))
          yield* store.enqueueTest(org, yield* testDelivery(two.webhookId, `two-${i}`, due))
        }
        const claim = (held: ReadonlyArray<{ readonly webhookId: WebhookId; readonly count: number }>) =>
          store.claim({ now: due, limit: 10, leaseUntil: new Date(due.getTime() + 60_000), leaseToken: "t", excluding: [], perWebhook: { limit: 3, held } })
        const first = yield* claim([{ webhookId: one.webhookId, count: 2 }])
        const countOf = (claimed: ReadonlyArray<{ readonly webhookId: WebhookId }>, webhookId: WebhookId) =>
          claimed.filter((d) => d.webhookId === webhookId).length
        expect([countOf(first, one.webhookId), countOf(first, two.webhookId)]).toEqual([1, 3])
        const second = yield* claim([{ webhookId: one.webhookId, count: 0 }, { webhookId: two.webhookId, count: 3 }])
        expect([countOf(second, one.webhookId), countOf(second, two.webhookId)]).toEqual([3, 0])
        yield* store.remove(org, one.webhookId)
        yield* store.remove(org, two.webhookId)
      }))

    it.effect("hands a claimed log delivery its stored event with the state fixed at routing", () =>
      Effect.gen(function* () {
        const store = yield* WebhookStore
        const [org, id] = [newOrg(), randomSessionId()]
        const record = yield* newWebhook(org)
        yield* store.create(record)
        yield* appendHistory(id, org, [created(id, org, "desk"), pairingStarted])
        const [first] = yield* Effect.map(EventStore, (s) => s.readStream(id)).pipe(Effect.flatten)
        if (first === undefined) return yield* Effect.dieMessage("no event")
        const connection = yield* (yield* ConnectionLog).record({
          sessionId: id,
          orgId: org,
          change: { _tag: "Disconnected", cause: "replaced", willReconnect: false },
          status: "paired",
          occurredAt: at(3)
        })
        const due = new Date(Date.UTC(2103, 0, 1))
        const target = yield* targetOf(record.webhookId)
        const fromLog = yield* testDelivery(record.webhookId, id, due)
        const fromConnection = yield* testDelivery(record.webhookId, "other", due)
        yield* store.enqueue(
          [{ webhookId: record.webhookId, log: { from: target?.logCheckpoint ?? 0n, to: first.position }, connection: null }],
          [
            { ...fromLog, eventType: "session.created", source: { _tag: "Log", position: first.position }, sessionStatus: "unpaired", connected: false },
            { ...fromConnection, eventType: "session.disconnected", source: { _tag: "Connection", position: connection.position } }
          ]
        )
        const claimed = yield* claimAll(due, "t")
        expect(claimed.map((d) => [d.deliveryId, d.source, d.url, d.secrets, d.orgId])).toEqual([
          [fromLog.deliveryId, { _tag: "Log", event: first, sessionStatus: "unpaired", connected: false }, record.url, record.secrets, org],
          [fromConnection.deliveryId, { _tag: "Connection", event: connection }, record.url, record.secrets, org]
        ])
        const page = yield* store.deliveries({ orgId: org, webhookId: record.webhookId, status: "pending", pageSize: 1, afterSequence: null })
        const newest = Option.getOrUndefined(page)?.deliveries[0]
        expect([newest?.deliveryId, newest?.position, Option.getOrUndefined(page)?.hasMore]).toEqual([fromConnection.deliveryId, null, true])
        const older = yield* store.deliveries({ orgId: org, webhookId: record.webhookId, status: "pending", pageSize: 1, afterSequence: newest?.sequence ?? null })
        expect(Option.map(older, (p) => p.deliveries.map((d) => [d.deliveryId, d.position, d.eventType]))).toEqual(
          Option.some([[fromLog.deliveryId, first.position, "session.created"]])
        )
        yield* store.remove(org, record.webhookId)
      }))

    it.effect("replays from a position up to what was routed, one step at a time", () =>
      Effect.gen(function* () {
        const store = yield* WebhookStore
        const org = newOrg()
        const record = yield* newWebhook(org)
        yield* store.create(record)
        const target = yield* targetOf(record.webhookId)
        const checkpoint = (target?.logCheckpoint ?? 0n) + 10n
        yield* store.enqueue([{ webhookId: record.webhookId, log: { from: target?.logCheckpoint ?? 0n, to: checkpoint }, connection: null }], [])
        expect(yield* store.startReplay(org, record.webhookId, { replayId: `r_${record.webhookId}`, fromPosition: 3n, at: at(1) })).toBe(true)
        const job = (yield* store.replayJobs).find((j) => j.target.webhookId === record.webhookId)
        expect([job?.afterPosition, job?.untilPosition, job?.target.orgId]).toEqual([2n, checkpoint, org])
        const step = { replayId: job?.replayId ?? "", from: 2n, to: 6n, done: false }
        expect(yield* store.advanceReplay(step, [yield* testDelivery(record.webhookId, "a", at(1))])).toBe(1)
        expect(yield* store.advanceReplay(step, [yield* testDelivery(record.webhookId, "a", at(1))])).toBe(0)
        expect(yield* store.advanceReplay({ ...step, from: 6n, to: checkpoint, done: true }, [])).toBe(0)
        expect((yield* store.replayJobs).some((j) => j.target.webhookId === record.webhookId)).toBe(false)
        yield* store.remove(org, record.webhookId)
      }))

    it.effect("removes a subscription with its deliveries and replays", () =>
      Effect.gen(function* () {
        const store = yield* WebhookStore
        const org = newOrg()
        const record = yield* newWebhook(org)
        yield* store.create(record)
        yield* store.enqueueTest(org, yield* testDelivery(record.webhookId, "a", at(1)))
        yield* store.startReplay(org, record.webhookId, { replayId: `gone_${record.webhookId}`, fromPosition: 0n, at: at(1) })
        expect(yield* store.remove(org, record.webhookId)).toBe(true)
        expect((yield* store.replayJobs).some((j) => j.target.webhookId === record.webhookId)).toBe(false)
        expect(yield* store.deliveries({ orgId: org, webhookId: record.webhookId, status: null, pageSize: 10, afterSequence: null })).toEqual(Option.none())
      }))

    it.effect("knows when the earliest pending delivery is due", () =>
      Effect.gen(function* () {
        const store = yield* WebhookStore
        const org = newOrg()
        const record = yield* newWebhook(org)
        yield* store.create(record)
        const early = new Date(Date.UTC(1999, 0, 1))
        yield* store.enqueueTest(org, yield* testDelivery(record.webhookId, "a", early))
        expect(Option.map(yield* store.nextDueAt, (d) => d.getTime() <= early.getTime())).toEqual(Option.some(true))
        yield* claimAll(early, "t", 1_000)
        yield* store.remove(org, record.webhookId)
      }))
  })

/** Only a real database has concurrent senders: many claims at once never hand out a delivery, or a lane, twice. */
export const concurrentClaimsContract = (
  name: string,
  stores: Layer.Layer<WebhookStore, StoreUnavailable>
) =>
  layer(stores, { timeout: "120 seconds" })(name, (it) => {
    it.effect("concurrent claims never hold one delivery or one lane twice", () =>
      Effect.gen(function* () {
        const store = yield* WebhookStore
        const org = newOrg()
        const record = yield* newWebhook(org)
        yield* store.create(record)
        const due = new Date(Date.UTC(2200, 0, 1))
        const laneOf = new Map<string, string>()
        for (let i = 0; i < 40; i++) {
          const delivery = yield* testDelivery(record.webhookId, `lane-${i % 5}`, due)
          laneOf.set(delivery.deliveryId, delivery.lane)
          yield* store.enqueueTest(org, delivery)
        }
        const heldLanes = new Set<string>()
        const seen: Array<string> = []
        let overlaps = 0
        // Eight senders claim and finish until nothing is left.
        yield* Effect.forEach(Array.from({ length: 8 }, (_, i) => `sender-${i}`), (token) =>
          Effect.gen(function* () {
            for (let round = 0; round < 400 && seen.length < 40; round++) {
              const claimed = yield* store.claim({ now: due, limit: 3, leaseUntil: new Date(due.getTime() + 3_600_000), leaseToken: token, excluding: [] })
              for (const d of claimed) {
                const lane = laneOf.get(d.deliveryId) ?? ""
                if (heldLanes.has(lane)) overlaps++
                heldLanes.add(lane)
                seen.push(d.deliveryId)
              }
              yield* Effect.forEach(claimed, (d) =>
                Effect.zipRight(Effect.sync(() => heldLanes.delete(laneOf.get(d.deliveryId) ?? "")), store.complete(d.deliveryId, token, succeeded, due)))
            }
          }), { concurrency: "unbounded", discard: true })
        expect(seen.length).toBe(40)
        expect(new Set(seen).size).toBe(40)
        expect(overlaps).toBe(0)
      }))
  })
