import { describe, expect, it } from "@effect/vitest"
import { afterEach, it as plainIt } from "vitest"
import { Effect } from "effect"
import { Gateway, SimulatedPhoneGateway } from "@wa-gateway/adapters"
import { OrgId } from "@wa-gateway/domain"
import { givenPairedSession, type StartedTestGateway, TestGateway } from "./test-gateway.js"

const acme = OrgId.make("acme")

describe("TestGateway as a Layer", () => {
  it.effect("gives a gateway and a simulated phone that pair a session", () =>
    Effect.gen(function* () {
      const session = yield* givenPairedSession(acme, { pushName: "Acme" })
      expect(session).toMatchObject({ status: "paired", connected: true, identity: { phoneNumber: "628123456789", pushName: "Acme" } })
      const unlinked = yield* (yield* SimulatedPhoneGateway).unlink(acme, session.sessionId)
      expect(unlinked.status).toBe("logged_out")
      const history = yield* (yield* Gateway).events(acme, session.sessionId)
      expect(history.map((e) => e.event._tag)).toEqual(["SessionCreated", "PairingStarted", "SessionPaired", "LoggedOut"])
    }).pipe(Effect.provide(TestGateway.layer())))

  it.effect("replays the same QR and identity under the same seed", () => {
    const run = Effect.gen(function* () {
      const gateway = yield* Gateway
      const { sessionId } = yield* gateway.create(acme, { name: "x" })
      const { qr } = yield* gateway.qr(acme, sessionId)
      const paired = yield* (yield* SimulatedPhoneGateway).scan(acme, sessionId, { phoneNumber: "628123456789" })
      return [qr, paired.identity?.waJid, paired.identity?.waLid]
    }).pipe(Effect.provide(TestGateway.layer({ seed: "replay" })))
    return Effect.gen(function* () {
      expect(yield* run).toEqual(yield* run)
    })
  })
})

describe("TestGateway as promises", () => {
  const started: Array<StartedTestGateway> = []
  afterEach(async () => {
    await Promise.all(started.splice(0).map((g) => g.close()))
  })

  plainIt("pairs a session in one call and drives the phone", async () => {
    const gateway = await TestGateway.start()
    started.push(gateway)
    const session = await gateway.pairedSession({ phoneNumber: "6281111111111" })
    expect(session).toMatchObject({ status: "paired", phoneNumber: "6281111111111" })
    expect((await gateway.phone.dropConnection(session.sessionId, { reconnectAfterMs: 60_000 })).connected).toBe(false)
    expect((await gateway.logout(session.sessionId)).status).toBe("logged_out")
  })
})
