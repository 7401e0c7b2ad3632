import { it } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import { liveSessionHistoryArb, validHistoryArb } from "../../../testkit/src/arbitraries.js"
import { OrgId, PhoneNumber, SessionId } from "../ids.js"
import { SessionCreated, SessionPaired } from "../session/events.js"
import { fold } from "../session/evolve.js"
import { initialState, type ExistingSessionState } from "../session/state.js"
import { toRecord } from "./projection.js"

const times = { createdAt: new Date("2026-01-02T03:04:05.000Z"), updatedAt: new Date("2026-02-03T04:05:06.000Z") }

const stateOf = (history: Parameters<typeof fold>[0]): ExistingSessionState => {
  const state = fold(history, initialState)
  if (state.status === "none") throw new Error("a valid history leaves a session")
  return state
}

describe("toRecord", () => {
  it("is the read model row of a paired session, identity included", () => {
    const sessionId = SessionId.make("sess_01HZX8K3M9ABCDEFGHJKMNPQRS")
    const state = stateOf([
      new SessionCreated({ sessionId, orgId: OrgId.make("acme"), name: "support line" }),
      new SessionPaired({ phoneNumber: PhoneNumber.make("628123456789"), waJid: "628123456789:12@s.whatsapp.net", waLid: "1@lid", pushName: "Acme" })
    ])
    expect(toRecord(state, 2, times)).toEqual({
      sessionId,
      orgId: "acme",
      name: "support line",
      status: "paired",
      identity: { phoneNumber: "628123456789", waJid: "628123456789:12@s.whatsapp.net", waLid: "1@lid", pushName: "Acme" },
      createdAt: times.createdAt,
      updatedAt: times.updatedAt,
      version: 2
    })
  })

  it.prop([liveSessionHistoryArb])("mirrors the state of a live session, with identity fields only while paired", (history) => {
    const state = stateOf(history)
    const record = toRecord(state, history.length, times)
    expect(record).toEqual({
      sessionId: state.sessionId,
      orgId: state.orgId,
      name: state.name,
      status: state.status,
      identity: state.status === "paired" ? state.identity : null,
      createdAt: times.createdAt,
      updatedAt: times.updatedAt,
      version: history.length
    })
  })

  it.prop([validHistoryArb({ deleted: "always" })])("is null once the session is deleted: the row is erased", (history) => {
    expect(toRecord(stateOf(history), history.length, times)).toBeNull()
  })
})
