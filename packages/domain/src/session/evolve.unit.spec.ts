import { fc, it } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import { sessionEventArb, sessionHistoryArb } from "../../../testkit/src/arbitraries.js"
import { OrgId, PairingAttemptId, PhoneNumber, SessionId } from "../ids.js"
import { LoggedOut, PairingFailed, PairingStarted, SessionCreated, SessionDeleted, SessionPaired, type SessionEvent } from "./events.js"
import { evolve, fold } from "./evolve.js"
import { initialState, isLive } from "./state.js"

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

  it("starts a session unpaired, with nothing but who it is", () => {
    expect(evolve(initialState, created)).toStrictEqual({ status: "unpaired", sessionId, orgId: "acme", name: "support line" })
  })

  it("remembers how pairing started and where a failure returns to", () => {
    const attemptId = PairingAttemptId.make("pair_01HZX8K3M9ABCDEFGHJKMNPQRS")
    const state = fold([created, new PairingStarted({ method: "code", phone: PhoneNumber.make("628123456789"), attemptId })], initialState)
    expect(state).toStrictEqual({
      status: "pairing",
      sessionId,
      orgId: "acme",
      name: "support line",
      pairing: { attemptId, method: "code", phone: "628123456789", returnTo: "unpaired" }
    })
  })

  it("keeps who the session is across events, and the identity only while paired", () => {
    const pairedState = fold([created, new PairingStarted({ method: "qr" }), paired], initialState)
    expect(pairedState).toMatchObject({ status: "paired", sessionId, orgId: "acme", name: "support line", identity: { phoneNumber: paired.phoneNumber, waJid: paired.waJid, waLid: null, pushName: null } })
    const state = fold([new LoggedOut({ by: "device" }), new SessionDeleted()], pairedState)
    expect(state).toStrictEqual({ status: "deleted", sessionId, orgId: "acme", name: "support line" })
  })

  it("folds a deleted session's erased stream (identity masked to \"\") to deleted without refusing it", () => {
    const erased = new SessionPaired({ phoneNumber: "", waJid: "", waLid: null, pushName: null })
    const state = fold([created, new PairingStarted({ method: "qr" }), erased, new SessionDeleted()], initialState)
    expect(state.status).toBe("deleted")
  })

  it("records a pairing stored before attempts had ids with a null attempt", () => {
    expect(fold([created, new PairingStarted({ method: "qr" })], initialState)).toMatchObject({ pairing: { attemptId: null } })
  })

  it("folds from any state, not only the initial one", () => {
    const unpaired = fold([created], initialState)
    expect(fold([new PairingStarted({ method: "qr" })], unpaired)).toMatchObject({ status: "pairing", sessionId })
    expect(fold([], unpaired)).toBe(unpaired)
  })
})

describe("evolve is total on an existing session", () => {
  // The store guards the order of events; evolve must still never throw on a
  // created stream, so a damaged history cannot crash a load.
  it.prop([sessionHistoryArb, fc.array(sessionEventArb.filter((e) => e._tag !== "SessionCreated"), { maxLength: 5 })])(
    "any events after SessionCreated fold without throwing",
    (history, extra) => {
      const state = fold([...history, ...extra], initialState)
      expect(["unpaired", "pairing", "paired", "logged_out", "deleted"]).toContain(state.status)
      expect("identity" in state).toBe(state.status === "paired")
      expect("pairing" in state).toBe(state.status === "pairing")
    }
  )
})

describe("state helpers", () => {
  it("tell a missing, a live and a deleted session apart", () => {
    const live = fold([created], initialState)
    const deleted = fold([created, new SessionDeleted()], initialState)
    expect([isLive(initialState), isLive(live), isLive(deleted)]).toEqual([false, true, false])
  })
})
