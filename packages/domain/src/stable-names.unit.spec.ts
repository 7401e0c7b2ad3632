import { describe, expect, it } from "vitest"
import { ConcurrencyConflict, SessionService } from "./application/session-service.js"
import { EventStore, StoreUnavailable, VersionConflict } from "./ports/event-store.js"
import { EngineNotImplemented, EngineUnavailable, SessionEngine } from "./ports/session-engine.js"
import { AlreadyPaired, InvalidPhone, NotPaired, NotPairing, SessionExists, SessionNotFound, StalePairingAttempt } from "./session/errors.js"
import { LoggedOut, PairingFailed, PairingStarted, SessionCreated, SessionDeleted, SessionPaired, sessionEventTypes } from "./session/events.js"

// These names leave the process: event types are stored in `events.type` and
// listed by the API; error tags are mapped to HTTP codes; service keys wire
// layers across packages. Renaming one is a breaking change, so it fails here.

describe("stable names", () => {
  it("event types are the names of DESIGN §2, as stored", () => {
    const types = [SessionCreated, PairingStarted, SessionPaired, PairingFailed, LoggedOut, SessionDeleted].map((c) => c._tag)
    const expected = ["SessionCreated", "PairingStarted", "SessionPaired", "PairingFailed", "LoggedOut", "SessionDeleted"]
    expect(types).toEqual(expected)
    expect(sessionEventTypes).toEqual(expected)
  })

  it("error tags are the ones the HTTP layer maps", () => {
    const errors = [
      new SessionNotFound({ sessionId: "s" }),
      new SessionExists({ sessionId: "s" }),
      new AlreadyPaired({ sessionId: "s" }),
      new NotPaired({ sessionId: "s" }),
      new NotPairing({ sessionId: "s" }),
      new StalePairingAttempt({ sessionId: "s" }),
      new InvalidPhone({ phone: "+1" }),
      new ConcurrencyConflict({ sessionId: "s" }),
      new VersionConflict({ streamId: "s", expectedVersion: 1 }),
      new StoreUnavailable({ message: "down" }),
      new EngineUnavailable({ message: "down" }),
      new EngineNotImplemented({ operation: "logout" })
    ]
    expect(errors.map((e) => e._tag)).toEqual([
      "SessionNotFound",
      "SessionExists",
      "AlreadyPaired",
      "NotPaired",
      "NotPairing",
      "StalePairingAttempt",
      "InvalidPhone",
      "ConcurrencyConflict",
      "VersionConflict",
      "StoreUnavailable",
      "EngineUnavailable",
      "EngineNotImplemented"
    ])
  })

  it("service keys are namespaced", () => {
    expect([EventStore.key, SessionEngine.key, SessionService.key]).toEqual([
      "wa-gateway/EventStore",
      "wa-gateway/SessionEngine",
      "wa-gateway/SessionService"
    ])
  })
})
