import { fc, it } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import { sessionEventArb, sessionHistoryArb } from "../../../testkit/src/arbitraries.js"
import { OrgId, PhoneNumber, SessionId } from "../ids.js"
import { LoggedOut, PairingFailed, PairingStarted, SessionCreated, SessionDeleted, SessionPaired, type SessionEvent } from "./events.js"
import { evolve, fold } from "./evolve.js"
import { exists, initialState, isLive } from "./state.js"

const sessionId = SessionId.make("sess_01HZX8K3M9ABCDEFGHJKMNPQRS")
const created = new SessionCreated({ sessionId, orgId: OrgId.make("acme"), name: "support line" })
const paired = new SessionPaired({ phoneNumber: "628123456789", waJid: "628123456789:1@s.whatsapp.net", waLid: null, pushName: null })

describe("evolve", () => {
  it("refuses an event on a session that was never created", () => {
    const notFirst: ReadonlyArray<SessionEvent> = [
      new PairingStarted({ method: "qr" }),
      paired,
      new PairingFailed({ reason: "expired" }),
      new LoggedOut({ by: "user" }),
      new SessionDeleted()
    ]
    for (const event of notFirst) {
      expect(() => evolve(initialState, event)).toThrow("event applied to a session that was never created")
    }
  })

  it("starts a session unpaired at version 1", () => {
    expect(evolve(initialState, created)).toEqual({
      status: "unpaired",
      version: 1,
      sessionId,
      orgId: "acme",
      name: "support line",
      identity: null,
      pairing: null
    })
  })

  it("remembers how pairing started and where a failure returns to", () => {
    const state = fold([created, new PairingStarted({ method: "code", phone: PhoneNumber.make("628123456789") })], initialState)
    expect(state).toMatchObject({ status: "pairing", version: 2, pairing: { method: "code", phone: "628123456789", returnTo: "unpaired" } })
  })

  it("keeps everything but the status, version, identity and pairing across events", () => {
    const state = fold([created, new PairingStarted({ method: "qr" }), paired, new LoggedOut({ by: "device" }), new SessionDeleted()], initialState)
    expect(state).toEqual({ status: "deleted", version: 5, sessionId, orgId: "acme", name: "support line", identity: null, pairing: null })
  })

  it("folds from any state, not only the initial one", () => {
    const unpaired = fold([created], initialState)
    expect(fold([new PairingStarted({ method: "qr" })], unpaired)).toMatchObject({ status: "pairing", version: 2 })
    expect(fold([], unpaired)).toBe(unpaired)
  })
})

describe("evolve is total on an existing session", () => {
  // The store guards the order of events; evolve must still never throw on a
  // created stream, so a damaged history cannot crash a load.
  it.prop([sessionHistoryArb, fc.array(sessionEventArb.filter((e) => e._tag !== "SessionCreated"), { maxLength: 5 })])(
    "any events after SessionCreated fold without throwing, one version each",
    (history, extra) => {
      const state = fold([...history, ...extra], initialState)
      expect(state.version).toBe(history.length + extra.length)
      expect(["unpaired", "pairing", "paired", "logged_out", "deleted"]).toContain(state.status)
    }
  )
})

describe("state helpers", () => {
  it("tell a missing, a live and a deleted session apart", () => {
    const live = fold([created], initialState)
    const deleted = fold([created, new SessionDeleted()], initialState)
    expect([exists(initialState), exists(live), exists(deleted)]).toEqual([false, true, true])
    expect([isLive(initialState), isLive(live), isLive(deleted)]).toEqual([false, true, false])
  })
})
