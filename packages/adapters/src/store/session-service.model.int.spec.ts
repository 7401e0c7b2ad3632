import {
  CompletePairing,
  DeleteSession,
  FailPairing,
  Logout,
  OrgId,
  PhoneNumber,
  type EventStore,
  type SessionCommand,
  type SessionId,
  SessionService,
  PairingAttemptId,
  StartCodePairing,
  StartQrPairing,
  type StoreUnavailable,
  WaIdentity
} from "@wa-gateway/domain"
import { Effect, Either, Layer, ManagedRuntime } from "effect"
import * as fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
// The testkit's sources, not its index: the index also exports http.
import { forSession, testStreamId } from "../../../testkit/src/arbitraries.js"
import { EventStoreMemory } from "./event-store-memory.js"
import { EventStoreSql } from "./event-store-sql.js"
import { closeFilePglite, pgliteTestDatabase, postgresTestDatabase, randomSuffix } from "./test-database.spec-helper.js"

// The session state machine of DESIGN §2, driven through SessionService on
// each store by random command sequences; after every step the real system
// must agree with this model on status, version, identity and org scoping.

type Status = "unpaired" | "pairing" | "paired" | "logged_out" | "deleted"

interface SlotModel {
  readonly id: SessionId
  readonly org: 0 | 1
  status: Status
  version: number
  identity: WaIdentity | null
  returnTo: "unpaired" | "logged_out"
  /** The pairing attempt in progress while pairing. */
  attemptId: PairingAttemptId | null
}

interface Model {
  readonly slots: ReadonlyArray<SlotModel>
}

interface Real {
  readonly orgs: readonly [OrgId, OrgId]
  readonly run: <A, E>(effect: Effect.Effect<A, E, SessionService>) => Promise<A>
}

const SLOTS = 3

const identities = [
  new WaIdentity({ phoneNumber: PhoneNumber.make("6281200001111"), waJid: "6281200001111:3@s.whatsapp.net", waLid: "11112222333@lid", pushName: "Ana" }),
  new WaIdentity({ phoneNumber: PhoneNumber.make("4915100002222"), waJid: "4915100002222@s.whatsapp.net", waLid: null, pushName: null })
] as const

type Outcome = { readonly ok: true } | { readonly ok: false; readonly error: string }

/** What the model says a command does to a slot: the outcome, and the slot after it. */
const expected = (slot: SlotModel, command: SessionCommand): { outcome: Outcome; next: SlotModel } => {
  const fail = (error: string) => ({ outcome: { ok: false, error } as const, next: slot })
  const step = (change: Partial<SlotModel>) => ({ outcome: { ok: true } as const, next: { ...slot, ...change, version: slot.version + 1 } })
  if (slot.status === "deleted") return fail("SessionNotFound")
  switch (command._tag) {
    case "StartQrPairing":
    case "StartCodePairing": {
      if (slot.status === "paired") return fail("AlreadyPaired")
      if (command._tag === "StartCodePairing" && !/^[0-9]{8,15}$/.test(command.phone)) return fail("InvalidPhone")
      const returnTo = slot.status === "pairing" ? slot.returnTo : slot.status === "logged_out" ? "logged_out" : "unpaired"
      return step({ status: "pairing", returnTo, attemptId: command.attemptId })
    }
    case "CompletePairing":
      if (slot.status !== "pairing") return fail("NotPairing")
      if (command.attemptId !== slot.attemptId) return fail("StalePairingAttempt")
      return step({ status: "paired", identity: command.identity, attemptId: null })
    case "FailPairing":
      if (slot.status !== "pairing") return fail("NotPairing")
      if (command.attemptId !== undefined && command.attemptId !== slot.attemptId) return fail("StalePairingAttempt")
      return step({ status: slot.returnTo, attemptId: null })
    case "Logout":
      return slot.status === "paired" ? step({ status: "logged_out", identity: null }) : fail("NotPaired")
    case "DeleteSession":
      return step({ status: "deleted", identity: null, attemptId: null })
    case "CreateSession":
      return fail("SessionExists")
  }
}

const outcomeOf = <A>(result: Either.Either<A, { readonly _tag: string }>): Outcome =>
  Either.isRight(result) ? { ok: true } : { ok: false, error: result.left._tag }

/**
 * The real system agrees with the model: the given slots in full (seen by
 * their org and by the other one), every slot through each org's list.
 */
const verify = async (model: Model, real: Real, slots: ReadonlyArray<SlotModel> = model.slots): Promise<void> => {
  for (const slot of slots) {
    const id = slot.id
    const [owner, stranger] = [real.orgs[slot.org], real.orgs[1 - slot.org] ?? real.orgs[0]]
    const seen = await real.run(Effect.flatMap(SessionService, (s) => Effect.either(s.get(owner, id))))
    const loaded = await real.run(Effect.flatMap(SessionService, (s) => Effect.either(s.load(owner, id))))
    if (slot.status === "deleted") {
      expect([outcomeOf(seen), outcomeOf(loaded)]).toEqual([{ ok: false, error: "SessionNotFound" }, { ok: false, error: "SessionNotFound" }])
    } else {
      const record = Either.getOrThrow(seen)
      const { state, version } = Either.getOrThrow(loaded)
      expect({
        status: record.status,
        version: record.version,
        phone: record.identity?.phoneNumber ?? null,
        jid: record.identity?.waJid ?? null,
        lid: record.identity?.waLid ?? null,
        push: record.identity?.pushName ?? null
      })
        .toEqual({
          status: slot.status,
          version: slot.version,
          phone: slot.identity?.phoneNumber ?? null,
          jid: slot.identity?.waJid ?? null,
          lid: slot.identity?.waLid ?? null,
          push: slot.identity?.pushName ?? null
        })
      expect({
        status: state.status,
        version,
        identity: state.status === "paired" ? { ...state.identity } : null,
        attemptId: state.status === "pairing" ? state.pairing.attemptId : null
      }).toEqual({
        status: slot.status,
        version: slot.version,
        identity: slot.identity === null ? null : { ...slot.identity },
        attemptId: slot.attemptId
      })
    }
    const foreign = await real.run(Effect.flatMap(SessionService, (s) => Effect.either(s.get(stranger, id))))
    expect(outcomeOf(foreign)).toEqual({ ok: false, error: "SessionNotFound" })
  }
  for (const org of [0, 1] as const) {
    const page = await real.run(Effect.flatMap(SessionService, (s) => s.list(real.orgs[org], { pageSize: SLOTS + 1, after: null })))
    const live = model.slots.filter((s) => s.org === org && s.status !== "deleted").map((s) => s.id)
    expect(page.sessions.map((s) => s.sessionId).sort()).toEqual(live.sort())
  }
}

class ExecuteCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly slot: number, readonly command: SessionCommand, readonly asStranger: boolean) {}
  check = () => true
  run = async (m: Model, r: Real) => {
    const slot = m.slots[this.slot]
    if (slot === undefined) throw new Error("no such slot")
    const id = slot.id
    const org = r.orgs[this.asStranger ? 1 - slot.org : slot.org] ?? r.orgs[0]
    const result = await r.run(Effect.flatMap(SessionService, (s) => Effect.either(s.execute(org, forSession(this.command, id)))))
    const model = this.asStranger ? { outcome: { ok: false, error: "SessionNotFound" } as Outcome, next: slot } : expected(slot, this.command)
    expect(outcomeOf(result)).toEqual(model.outcome)
    Object.assign(slot, model.next)
    await verify(m, r, [slot])
  }
  toString = () => `${this.asStranger ? "stranger " : ""}${this.command._tag}${JSON.stringify({ ...this.command, _tag: undefined })}(${this.slot})`
}

const slotArb = fc.integer({ min: 0, max: SLOTS - 1 })

// Weighted towards commands that move the machine, so deep paths (paired →
// logged out → pairing again → failed) come up in short sequences.
// Commands name `testStreamId` until `run` binds them to a slot's session; two attempt
// ids, so an engine's report is sometimes of an older attempt.
const sessionId = testStreamId
const attempts = [PairingAttemptId.make("pair_01HZX8K3M9AAAAAAAAAAAAAAAA"), PairingAttemptId.make("pair_01HZX8K3M9BBBBBBBBBBBBBBBB")] as const
const attemptArb = fc.constantFrom(...attempts)
const sessionCommandArb: fc.Arbitrary<SessionCommand> = fc.oneof(
  { weight: 3, arbitrary: attemptArb.map((attemptId) => new StartQrPairing({ sessionId, attemptId })) },
  { weight: 2, arbitrary: attemptArb.map((attemptId) => new StartCodePairing({ sessionId, attemptId, phone: "628123456789" })) },
  {
    weight: 1,
    arbitrary: fc.tuple(attemptArb, fc.constantFrom("+628123456789", "1234", "")).map(([attemptId, phone]) =>
      new StartCodePairing({ sessionId, attemptId, phone }))
  },
  {
    weight: 4,
    arbitrary: fc.tuple(attemptArb, fc.constantFrom(...identities)).map(([attemptId, identity]) =>
      new CompletePairing({ sessionId, attemptId, identity }))
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.option(attemptArb, { nil: undefined }), fc.constantFrom("expired", "rejected", "engine_error" as const))
      .map(([attemptId, reason]) =>
        attemptId === undefined ? new FailPairing({ sessionId, reason }) : new FailPairing({ sessionId, attemptId, reason }))
  },
  { weight: 2, arbitrary: fc.constantFrom("user", "device" as const).map((by) => new Logout({ sessionId, by })) },
  { weight: 1, arbitrary: fc.constant(new DeleteSession({ sessionId })) }
)

const commandsArb = fc.commands(
  [
    // Most commands come from the owner: that is where the state machine is.
    ...Array.from({ length: 4 }, () => fc.tuple(slotArb, sessionCommandArb).map(([slot, command]) => new ExecuteCommand(slot, command, false))),
    fc.tuple(slotArb, sessionCommandArb).map(([slot, command]) => new ExecuteCommand(slot, command, true))
  ],
  { maxCommands: 25, size: "max" }
)

const modelSuite = (name: string, store: Layer.Layer<EventStore, StoreUnavailable>, numRuns: number) =>
  describe(name, () => {
    let runtime: ManagedRuntime.ManagedRuntime<SessionService, StoreUnavailable>
    beforeAll(() => {
      runtime = ManagedRuntime.make(Layer.provide(SessionService.Live, store))
      return runtime.runPromise(Effect.void)
    }, 120_000)
    afterAll(() => runtime.dispose())

    it("SessionService on this store agrees with the model after every command", async () => {
      await fc.assert(
        fc.asyncProperty(commandsArb, async (commands) => {
          const real: Real = {
            orgs: [OrgId.make(`org_a_${randomSuffix()}`), OrgId.make(`org_b_${randomSuffix()}`)],
            run: (effect) => runtime.runPromise(effect)
          }
          const setup = async () => {
            const slots = await Promise.all(Array.from({ length: SLOTS }, async (_, i): Promise<SlotModel> => {
              const org = (i % 2) as 0 | 1
              const record = await real.run(Effect.flatMap(SessionService, (s) => s.create(real.orgs[org], `slot ${i}`)))
              return { id: record.sessionId, org, status: "unpaired", version: 1, identity: null, returnTo: "unpaired", attemptId: null }
            }))
            const model: Model = { slots }
            await verify(model, real)
            return { model, real }
          }
          await fc.asyncModelRun(setup, commands)
        }),
        { numRuns }
      )
    }, 60_000)
  })

afterAll(closeFilePglite)

modelSuite("in memory", EventStoreMemory, 100)
modelSuite("on PostgreSQL", Layer.provide(EventStoreSql, postgresTestDatabase()), 20)
modelSuite("on PGlite", Layer.provide(EventStoreSql, pgliteTestDatabase("model")), 10)
