import { describe, expect, it } from "vitest"
// The helper's source, not the testkit index: the index also exports adapters and http.
import { given } from "../../../testkit/src/decider-spec.js"
import { OrgId, PairingAttemptId, PhoneNumber, SessionId } from "../ids.js"
import { CompletePairing, CreateSession, DeleteSession, FailPairing, Logout, StartCodePairing, StartQrPairing } from "./commands.js"
import { AlreadyPaired, InvalidPhone, NotPaired, NotPairing, SessionExists, SessionNotFound, StalePairingAttempt } from "./errors.js"
import { LoggedOut, PairingFailed, PairingStarted, SessionCreated, SessionDeleted, SessionPaired } from "./events.js"
import { WaIdentity } from "./identity.js"

// One example per row and per precondition of the table in DESIGN §2.

const sessionId = SessionId.make("sess_01HZX8K3M9ABCDEFGHJKMNPQRS")
const orgId = OrgId.make("acme")
const attemptId = PairingAttemptId.make("pair_01HZX8K3M9ABCDEFGHJKMNPQRS")
const olderAttempt = PairingAttemptId.make("pair_01HZX8K3M9ABCDEFGHJKMNPQRA")
const phone = PhoneNumber.make("628123456789")
const identity = new WaIdentity({
  phoneNumber: phone,
  waJid: "628123456789:12@s.whatsapp.net",
  waLid: "99887766554433@lid",
  pushName: "Acme Support"
})

const created = new SessionCreated({ sessionId, orgId, name: "support line" })
const qrStarted = new PairingStarted({ method: "qr", attemptId })
const codeStarted = new PairingStarted({ method: "code", phone, attemptId })
const paired = new SessionPaired({ ...identity })
const expired = new PairingFailed({ reason: "expired" })
const loggedOutByUser = new LoggedOut({ by: "user" })
const deleted = new SessionDeleted()

const unpaired = [created]
const pairing = [created, qrStarted]
const pairedSession = [created, qrStarted, paired]
const loggedOut = [created, qrStarted, paired, loggedOutByUser]
const deletedSession = [created, deleted]

describe("CreateSession", () => {
  it("creates an unpaired session on a stream that does not exist", () => {
    const state = given([])
      .when(new CreateSession({ sessionId, orgId, name: "support line" }))
      .then([created])
    expect(state).toStrictEqual({ status: "unpaired", sessionId, orgId, name: "support line" })
  })

  it("refuses to create a session that already exists", () =>
    given(unpaired).when(new CreateSession({ sessionId, orgId, name: "again" })).thenFails(SessionExists, { sessionId }))

  it("does not bring a deleted session back", () =>
    given(deletedSession).when(new CreateSession({ sessionId, orgId, name: "again" })).thenFails(SessionNotFound, { sessionId }))
})

describe("StartQrPairing and StartCodePairing", () => {
  it("starts QR pairing on an unpaired session", () => {
    const state = given(unpaired).when(new StartQrPairing({ sessionId, attemptId })).then([qrStarted])
    expect(state).toMatchObject({ status: "pairing", pairing: { attemptId, method: "qr", phone: null, returnTo: "unpaired" } })
  })

  it("starts code pairing for a phone number", () => {
    const state = given(unpaired).when(new StartCodePairing({ sessionId, attemptId, phone: "628123456789" })).then([codeStarted])
    expect(state).toMatchObject({ status: "pairing", pairing: { method: "code", phone, returnTo: "unpaired" } })
  })

  it("pairs a logged-out session again", () => {
    const state = given(loggedOut).when(new StartQrPairing({ sessionId, attemptId })).then([qrStarted])
    expect(state).toMatchObject({ status: "pairing", pairing: { returnTo: "logged_out" } })
  })

  it("restarts pairing with another method while pairing", () => {
    const state = given(pairing).when(new StartCodePairing({ sessionId, attemptId, phone: "628123456789" })).then([codeStarted])
    expect(state).toMatchObject({ status: "pairing", pairing: { method: "code", returnTo: "unpaired" } })
  })

  it("refuses to pair a session that is already paired", () =>
    given(pairedSession).when(new StartCodePairing({ sessionId, attemptId, phone: "628123456789" })).thenFails(AlreadyPaired, { sessionId }))

  it("refuses to show a QR for a session that is already paired", () =>
    given(pairedSession).when(new StartQrPairing({ sessionId, attemptId })).thenFails(AlreadyPaired, { sessionId }))

  it("refuses a phone number with a leading +", () =>
    given(unpaired).when(new StartCodePairing({ sessionId, attemptId, phone: "+628123456789" })).thenFails(InvalidPhone, { phone: "+628123456789" }))

  it("refuses a phone number with letters", () =>
    given(unpaired).when(new StartCodePairing({ sessionId, attemptId, phone: "62812345678a" })).thenFails(InvalidPhone))

  it("refuses a phone number shorter than 8 digits", () =>
    given(unpaired).when(new StartCodePairing({ sessionId, attemptId, phone: "1234567" })).thenFails(InvalidPhone, { phone: "1234567" }))

  it("refuses a phone number longer than 15 digits", () =>
    given(unpaired).when(new StartCodePairing({ sessionId, attemptId, phone: "1234567890123456" })).thenFails(InvalidPhone))

  it("accepts the shortest and the longest phone numbers", () => {
    given(unpaired).when(new StartCodePairing({ sessionId, attemptId, phone: "12345678" }))
      .then([new PairingStarted({ method: "code", phone: PhoneNumber.make("12345678"), attemptId })])
    given(unpaired).when(new StartCodePairing({ sessionId, attemptId, phone: "123456789012345" }))
      .then([new PairingStarted({ method: "code", phone: PhoneNumber.make("123456789012345"), attemptId })])
  })

  it("refuses a pairing code without a phone number", () =>
    given(unpaired).when(new StartCodePairing({ sessionId, attemptId, phone: "" })).thenFails(InvalidPhone, { phone: "" }))

  it("refuses to pair a session that does not exist", () =>
    given([]).when(new StartQrPairing({ sessionId, attemptId })).thenFails(SessionNotFound))

  it("refuses to pair a deleted session", () =>
    given(deletedSession).when(new StartQrPairing({ sessionId, attemptId })).thenFails(SessionNotFound, { sessionId }))
})

describe("CompletePairing", () => {
  it("pairs a session that is pairing, recording the WhatsApp identity", () => {
    const state = given(pairing).when(new CompletePairing({ sessionId, attemptId, identity })).then([paired])
    expect(state).toStrictEqual({ status: "paired", sessionId, orgId, name: "support line", identity })
  })

  it("refuses a pairing of an attempt that is no longer the current one", () =>
    given([created, new PairingStarted({ method: "qr", attemptId: olderAttempt }), qrStarted])
      .when(new CompletePairing({ sessionId, attemptId: olderAttempt, identity }))
      .thenFails(StalePairingAttempt, { sessionId }))

  it("refuses an attempt's pairing once a pairing recorded without an attempt id is in progress", () =>
    given([created, new PairingStarted({ method: "qr" })])
      .when(new CompletePairing({ sessionId, attemptId, identity }))
      .thenFails(StalePairingAttempt, { sessionId }))

  it("refuses to pair a session that is not pairing", () =>
    given(unpaired).when(new CompletePairing({ sessionId, attemptId, identity })).thenFails(NotPairing, { sessionId }))

  it("refuses to pair a session twice", () =>
    given(pairedSession).when(new CompletePairing({ sessionId, attemptId, identity })).thenFails(NotPairing, { sessionId }))

  it("refuses to pair a deleted session", () =>
    given(deletedSession).when(new CompletePairing({ sessionId, attemptId, identity })).thenFails(SessionNotFound, { sessionId }))
})

describe("FailPairing", () => {
  it("returns a failed pairing of a new session to unpaired", () => {
    const state = given(pairing).when(new FailPairing({ sessionId, attemptId, reason: "expired" })).then([expired])
    expect(state).toStrictEqual({ status: "unpaired", sessionId, orgId, name: "support line" })
  })

  it("returns a failed pairing of a logged-out session to logged_out", () => {
    const state = given([...loggedOut, qrStarted]).when(new FailPairing({ sessionId, attemptId, reason: "rejected" }))
      .then([new PairingFailed({ reason: "rejected" })])
    expect(state).toStrictEqual({ status: "logged_out", sessionId, orgId, name: "support line" })
  })

  it("remembers the status before pairing across a restarted pairing", () => {
    const state = given([...loggedOut, qrStarted, codeStarted]).when(new FailPairing({ sessionId, attemptId, reason: "engine_error" }))
      .then([new PairingFailed({ reason: "engine_error" })])
    expect(state.status).toBe("logged_out")
  })

  it("refuses the failure of an attempt that is no longer the current one", () =>
    given([created, new PairingStarted({ method: "qr", attemptId: olderAttempt }), codeStarted])
      .when(new FailPairing({ sessionId, attemptId: olderAttempt, reason: "expired" }))
      .thenFails(StalePairingAttempt, { sessionId }))

  it("fails whichever attempt is in progress when no attempt is named", () => {
    const state = given([created, new PairingStarted({ method: "qr" })]).when(new FailPairing({ sessionId, reason: "expired" })).then([expired])
    expect(state.status).toBe("unpaired")
    given(pairing).when(new FailPairing({ sessionId, reason: "expired" })).then([expired])
  })

  it("refuses to fail a pairing that is not in progress", () =>
    given(pairedSession).when(new FailPairing({ sessionId, attemptId, reason: "expired" })).thenFails(NotPairing, { sessionId }))

  it("refuses to fail the pairing of a session that does not exist", () =>
    given([]).when(new FailPairing({ sessionId, attemptId, reason: "expired" })).thenFails(SessionNotFound))
})

describe("Logout", () => {
  it("logs out a paired session and forgets its identity", () => {
    const state = given(pairedSession).when(new Logout({ sessionId, by: "user" })).then([loggedOutByUser])
    expect(state).toStrictEqual({ status: "logged_out", sessionId, orgId, name: "support line" })
  })

  it("records a logout done on the phone", () =>
    given(pairedSession).when(new Logout({ sessionId, by: "device" })).then([new LoggedOut({ by: "device" })]))

  it("refuses to log out a session that is not paired", () =>
    given(unpaired).when(new Logout({ sessionId, by: "user" })).thenFails(NotPaired, { sessionId }))

  it("refuses to log out a session while it is pairing", () =>
    given(pairing).when(new Logout({ sessionId, by: "user" })).thenFails(NotPaired, { sessionId }))

  it("refuses to log out a session twice", () =>
    given(loggedOut).when(new Logout({ sessionId, by: "user" })).thenFails(NotPaired, { sessionId }))

  it("refuses to log out a deleted session", () =>
    given(deletedSession).when(new Logout({ sessionId, by: "user" })).thenFails(SessionNotFound, { sessionId }))
})

describe("DeleteSession", () => {
  it("deletes an unpaired session", () => {
    const state = given(unpaired).when(new DeleteSession({ sessionId })).then([deleted])
    expect(state).toStrictEqual({ status: "deleted", sessionId, orgId, name: "support line" })
  })

  it("deletes a session while it is pairing", () =>
    given(pairing).when(new DeleteSession({ sessionId })).then([deleted]))

  it("deletes a paired session and forgets its identity", () => {
    const state = given(pairedSession).when(new DeleteSession({ sessionId })).then([deleted])
    expect(state).toStrictEqual({ status: "deleted", sessionId, orgId, name: "support line" })
  })

  it("deletes a logged-out session", () =>
    given(loggedOut).when(new DeleteSession({ sessionId })).then([deleted]))

  it("refuses to delete a session twice", () =>
    given(deletedSession).when(new DeleteSession({ sessionId })).thenFails(SessionNotFound, { sessionId }))

  it("refuses to delete a session that does not exist", () =>
    given([]).when(new DeleteSession({ sessionId })).thenFails(SessionNotFound))
})
