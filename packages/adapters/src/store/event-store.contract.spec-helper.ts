import { expect, layer } from "@effect/vitest"
import {
  type AppendRequest,
  EventStore,
  LoggedOut,
  OrgId,
  PairingStarted,
  PhoneNumber,
  SessionCreated,
  sessionDecider,
  SessionDeleted,
  type SessionEvent,
  type SessionId,
  type SessionPage,
  SessionPaired,
  type StoreUnavailable,
  toRecord,
  WaIdentity
} from "@wa-gateway/domain"
import { Effect, Either, type Layer, Option } from "effect"
import { AuthStateStore } from "./auth-state-store.js"
import { randomSessionId, randomSuffix } from "./test-database.spec-helper.js"

export const newOrg = (): OrgId => OrgId.make(`org_${randomSuffix()}`)

export const phone = "628123456789"
export const identity = { phoneNumber: phone, waJid: `${phone}@s.whatsapp.net`, waLid: "20000000000001@lid", pushName: "Budi Santoso" }

export const created = (sessionId: SessionId, orgId: OrgId, name = "front desk") => new SessionCreated({ sessionId, orgId, name })
export const pairingStarted = new PairingStarted({ method: "code", phone: PhoneNumber.make(phone) })
export const paired = new SessionPaired(identity)

/** The append a `SessionService` would make: `events` decided on top of `past`. */
export const appendRequest = (
  sessionId: SessionId,
  orgId: OrgId,
  past: ReadonlyArray<SessionEvent>,
  events: ReadonlyArray<SessionEvent>,
  options: { readonly at?: Date; readonly createdAt?: Date; readonly expectedVersion?: number } = {}
): AppendRequest => {
  const at = options.at ?? new Date("2026-01-01T00:00:00.000Z")
  const state = [...past, ...events].reduce(sessionDecider.evolve, sessionDecider.initialState)
  if (state.status === "none") throw new Error("a request needs a created stream")
  const version = past.length + events.length
  return {
    streamId: sessionId,
    orgId,
    expectedVersion: options.expectedVersion ?? past.length,
    events,
    occurredAt: at,
    record: toRecord(state, version, { createdAt: options.createdAt ?? at, updatedAt: at })
  }
}

/** Appends the whole history of a new session, one event per append. */
export const appendHistory = (sessionId: SessionId, orgId: OrgId, history: ReadonlyArray<SessionEvent>, at?: Date) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    for (let i = 0; i < history.length; i++) {
      const event = history[i]
      if (event === undefined) continue
      yield* store.append(appendRequest(sessionId, orgId, history.slice(0, i), [event], at === undefined ? {} : { at, createdAt: at }))
    }
  })

const lastPosition = Effect.flatMap(EventStore, (store) =>
  Effect.map(store.readAll(0n, 1_000_000), (events) => events.at(-1)?.position ?? 0n))

/**
 * The behaviour every EventStore must share (DESIGN §3). `stores` is built
 * once for the suite, so each case works on its own sessions and orgs.
 */
export const eventStoreContract = (
  name: string,
  stores: Layer.Layer<EventStore | AuthStateStore, StoreUnavailable>
) =>
  layer(stores, { timeout: "120 seconds" })(name, (it) => {
    it.effect("appends a new stream and reads its events back in version order", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const [id, org] = [randomSessionId(), newOrg()]
        const at = new Date("2026-02-03T04:05:06.789Z")
        const first = yield* store.append(appendRequest(id, org, [], [created(id, org)], { at }))
        const second = yield* store.append(appendRequest(id, org, [created(id, org)], [pairingStarted], { at, createdAt: at }))
        expect(first.nextVersion).toBe(1)
        expect(second.nextVersion).toBe(2)
        expect(second.lastPosition).toBeGreaterThan(first.lastPosition)

        const events = yield* store.readStream(id)
        expect(events.map((e) => [e.version, e.event, e.orgId, e.streamId])).toEqual([
          [1, created(id, org), org, id],
          [2, pairingStarted, org, id]
        ])
        expect(events.map((e) => e.position)).toEqual([first.lastPosition, second.lastPosition])
        expect(events.every((e) => e.occurredAt.getTime() === at.getTime())).toBe(true)
      }))

    it.effect("gives the events of one append consecutive versions in their order", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const [id, org] = [randomSessionId(), newOrg()]
        const result = yield* store.append(appendRequest(id, org, [], [created(id, org), pairingStarted, paired]))
        const events = yield* store.readStream(id)
        expect(result.nextVersion).toBe(3)
        expect(events.map((e) => e.version)).toEqual([1, 2, 3])
        expect(events.map((e) => e.event._tag)).toEqual(["SessionCreated", "PairingStarted", "SessionPaired"])
        expect(events.at(-1)?.position).toBe(result.lastPosition)
        expect(Option.map(yield* store.getSession(id), (r) => [r.status, r.version, r.identity?.phoneNumber])).toEqual(
          Option.some(["paired", 3, phone])
        )
      }))

    it.effect("keeps the read model row of a session, with its creation time, after each append", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const [id, org] = [randomSessionId(), newOrg()]
        const createdAt = new Date("2026-03-01T10:00:00.000Z")
        const later = new Date("2026-03-01T10:05:00.000Z")
        yield* store.append(appendRequest(id, org, [], [created(id, org, "sales")], { at: createdAt }))
        yield* store.append(appendRequest(id, org, [created(id, org, "sales")], [pairingStarted, paired], { at: later, createdAt }))
        expect(yield* store.getSession(id)).toEqual(Option.some({
          sessionId: id,
          orgId: org,
          name: "sales",
          status: "paired",
          identity: new WaIdentity({ ...identity, phoneNumber: PhoneNumber.make(phone) }),
          createdAt,
          updatedAt: later,
          version: 3
        }))
        expect(yield* store.getSession(randomSessionId())).toEqual(Option.none())
      }))

    it.effect("refuses a stale expected version and changes nothing", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const [id, org] = [randomSessionId(), newOrg()]
        yield* appendHistory(id, org, [created(id, org), pairingStarted])
        const before = yield* store.getSession(id)
        const refused = yield* Effect.either(store.append(appendRequest(id, org, [created(id, org)], [new PairingStarted({ method: "qr" })])))
        expect(Either.isLeft(refused) && refused.left._tag).toBe("VersionConflict")
        expect((yield* store.readStream(id)).map((e) => e.version)).toEqual([1, 2])
        expect(yield* store.getSession(id)).toEqual(before)
      }))

    it.effect("refuses a future expected version, so versions never have a gap", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const [id, org] = [randomSessionId(), newOrg()]
        const history = [created(id, org), pairingStarted]
        yield* appendHistory(id, org, history)
        const before = yield* store.getSession(id)
        const refused = yield* Effect.either(store.append(appendRequest(id, org, history, [paired], { expectedVersion: 5 })))
        expect(Either.isLeft(refused) && refused.left._tag).toBe("VersionConflict")
        expect((yield* store.readStream(id)).map((e) => e.version)).toEqual([1, 2])
        expect(yield* store.getSession(id)).toEqual(before)

        const accepted = yield* store.append(appendRequest(id, org, history, [paired]))
        expect(accepted.nextVersion).toBe(3)
        expect((yield* store.readStream(id)).map((e) => e.version)).toEqual([1, 2, 3])
      }))

    it.effect("refuses to create a stream twice", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const [id, org] = [randomSessionId(), newOrg()]
        yield* store.append(appendRequest(id, org, [], [created(id, org, "first")]))
        const again = yield* Effect.either(store.append(appendRequest(id, org, [], [created(id, org, "second")])))
        expect(Either.isLeft(again) && again.left._tag).toBe("VersionConflict")
        expect((yield* store.readStream(id)).map((e) => e.event)).toEqual([created(id, org, "first")])
        expect(Option.map(yield* store.getSession(id), (r) => r.name)).toEqual(Option.some("first"))
      }))

    it.effect("reads the log in position order after a given position, up to a limit", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const start = yield* lastPosition
        const [a, b, org] = [randomSessionId(), randomSessionId(), newOrg()]
        yield* store.append(appendRequest(a, org, [], [created(a, org)]))
        yield* store.append(appendRequest(b, org, [], [created(b, org)]))
        yield* store.append(appendRequest(a, org, [created(a, org)], [pairingStarted]))

        const all = yield* store.readAll(start, 100)
        expect(all.map((e) => [e.streamId, e.version])).toEqual([[a, 1], [b, 1], [a, 2]])
        const positions = all.map((e) => e.position)
        expect([...positions].sort((x, y) => (x < y ? -1 : 1))).toEqual(positions)
        expect(new Set(positions).size).toBe(3)

        const first = all[0]?.position ?? 0n
        expect((yield* store.readAll(first, 100)).map((e) => [e.streamId, e.version])).toEqual([[b, 1], [a, 2]])
        expect((yield* store.readAll(start, 2)).map((e) => [e.streamId, e.version])).toEqual([[a, 1], [b, 1]])
        expect(yield* store.readAll(all.at(-1)?.position ?? 0n, 100)).toEqual([])
      }))

    it.effect("pages an org's sessions newest first, ties broken by session id descending", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const org = newOrg()
        const times = ["2026-04-01T00:00:00Z", "2026-04-02T00:00:00Z", "2026-04-02T00:00:00Z", "2026-04-02T00:00:00Z", "2026-04-03T00:00:00Z"]
        const sessions = times.map((t) => ({ id: randomSessionId(), createdAt: new Date(t) }))
        for (const s of sessions) yield* store.append(appendRequest(s.id, org, [], [created(s.id, org)], { at: s.createdAt }))
        const expected = [...sessions]
          .sort((x, y) => y.createdAt.getTime() - x.createdAt.getTime() || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0))
          .map((s) => s.id)

        const seen: Array<SessionId> = []
        const hasMore: Array<boolean> = []
        let after: { createdAt: Date; sessionId: SessionId } | null = null
        for (let page = 0; page < 3; page++) {
          const result: SessionPage = yield* store.listSessions({ orgId: org, pageSize: 2, after })
          seen.push(...result.sessions.map((s) => s.sessionId))
          hasMore.push(result.hasMore)
          const last = result.sessions.at(-1)
          after = last === undefined ? null : { createdAt: last.createdAt, sessionId: last.sessionId }
        }
        expect(seen).toEqual(expected)
        expect(hasMore).toEqual([true, true, false])

        const exact = yield* store.listSessions({ orgId: org, pageSize: 5, after: null })
        expect([exact.sessions.length, exact.hasMore]).toEqual([5, false])
      }))

    it.effect("lists only the sessions of the asking org", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const [mine, theirs] = [newOrg(), newOrg()]
        const [a, b] = [randomSessionId(), randomSessionId()]
        yield* store.append(appendRequest(a, mine, [], [created(a, mine)]))
        yield* store.append(appendRequest(b, theirs, [], [created(b, theirs)]))
        const page = yield* store.listSessions({ orgId: mine, pageSize: 10, after: null })
        expect(page.sessions.map((s) => s.sessionId)).toEqual([a])
        expect((yield* store.listSessions({ orgId: newOrg(), pageSize: 10, after: null })).sessions).toEqual([])
      }))

    it.effect("finds sessions by status across orgs", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const [a, b, c] = [randomSessionId(), randomSessionId(), randomSessionId()]
        const [org1, org2] = [newOrg(), newOrg()]
        yield* appendHistory(a, org1, [created(a, org1), pairingStarted, paired])
        yield* appendHistory(b, org2, [created(b, org2), pairingStarted, paired])
        yield* appendHistory(c, org2, [created(c, org2)])
        const pairedIds = (yield* store.sessionsInStatus("paired")).map((r) => r.sessionId)
        expect(pairedIds).toEqual(expect.arrayContaining([a, b]))
        expect(pairedIds).not.toContain(c)
        expect((yield* store.sessionsInStatus("unpaired")).map((r) => r.sessionId)).toContain(c)
      }))

    it.effect("erases a deleted session: masked events, no read model, no auth state", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const auth = yield* AuthStateStore
        const [id, other, org] = [randomSessionId(), randomSessionId(), newOrg()]
        const history = [created(id, org), pairingStarted, paired, new LoggedOut({ by: "device" }), pairingStarted, paired]
        yield* appendHistory(id, org, history)
        yield* appendHistory(other, org, [created(other, org), pairingStarted, paired])
        yield* auth.writeCreds(id, JSON.stringify({ me: identity.waJid }))
        yield* auth.set(id, { "pre-key": { 1: "[1,2]" } })
        yield* auth.writeCreds(other, JSON.stringify({ me: "other" }))

        const result = yield* store.append(appendRequest(id, org, history, [new SessionDeleted()]))
        expect(result.nextVersion).toBe(7)

        const events = yield* store.readStream(id)
        expect(events.map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7])
        const erasedPaired = new SessionPaired({ phoneNumber: "", waJid: "", waLid: null, pushName: null })
        const erasedStarted = new PairingStarted({ method: "code" })
        expect(events.map((e) => e.event)).toEqual([
          created(id, org), erasedStarted, erasedPaired, new LoggedOut({ by: "device" }), erasedStarted, erasedPaired, new SessionDeleted()
        ])
        expect(yield* store.getSession(id)).toEqual(Option.none())
        expect(yield* auth.readCreds(id)).toEqual(Option.none())
        expect((yield* auth.get(id, "pre-key", ["1"])).size).toBe(0)

        // Nothing of the other session is touched.
        expect((yield* store.readStream(other)).map((e) => e.event)).toEqual([created(other, org), pairingStarted, paired])
        expect(Option.map(yield* auth.readCreds(other), JSON.parse)).toEqual(Option.some({ me: "other" }))

        // The stream is over: neither a later append nor a new creation is accepted.
        const later = yield* Effect.either(store.append(appendRequest(id, org, history, [pairingStarted], { expectedVersion: 7 })))
        expect(Either.isLeft(later) && later.left._tag).toBe("VersionConflict")
        const recreated = yield* Effect.either(store.append(appendRequest(id, org, [], [created(id, org)])))
        expect(Either.isLeft(recreated) && recreated.left._tag).toBe("VersionConflict")
        expect((yield* store.readStream(id)).length).toBe(7)
      }))

    it.effect("refuses a delete at a stale version and erases nothing", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const auth = yield* AuthStateStore
        const [id, org] = [randomSessionId(), newOrg()]
        const history = [created(id, org), pairingStarted, paired]
        yield* appendHistory(id, org, history)
        yield* auth.writeCreds(id, JSON.stringify({ me: identity.waJid }))
        const refused = yield* Effect.either(store.append(appendRequest(id, org, history.slice(0, 2), [new SessionDeleted()])))
        expect(Either.isLeft(refused) && refused.left._tag).toBe("VersionConflict")
        expect((yield* store.readStream(id)).map((e) => e.event)).toEqual(history)
        expect(Option.map(yield* store.getSession(id), (r) => [r.status, r.identity?.phoneNumber, r.identity?.pushName])).toEqual(
          Option.some(["paired", phone, identity.pushName])
        )
        expect(Option.isSome(yield* auth.readCreds(id))).toBe(true)
      }))

    it.effect("counts the sessions in each visible status, deleted ones not at all", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const before = yield* store.sessionCounts
        const org = newOrg()
        const [a, b, c] = [randomSessionId(), randomSessionId(), randomSessionId()]
        yield* appendHistory(a, org, [created(a, org)])
        yield* appendHistory(b, org, [created(b, org), pairingStarted, paired])
        yield* appendHistory(c, org, [created(c, org), new SessionDeleted()])
        const after = yield* store.sessionCounts
        expect({
          unpaired: after.unpaired - before.unpaired,
          pairing: after.pairing - before.pairing,
          paired: after.paired - before.paired,
          logged_out: after.logged_out - before.logged_out
        }).toEqual({ unpaired: 1, pairing: 0, paired: 1, logged_out: 0 })
      }))

    it.effect("answers a ping", () => Effect.flatMap(EventStore, (store) => store.ping).pipe(Effect.map((r) => expect(r).toBeUndefined())))
  })
