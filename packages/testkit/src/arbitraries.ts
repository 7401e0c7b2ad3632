import {
  CompletePairing,
  CROCKFORD_ALPHABET,
  CreateSession,
  DeleteSession,
  FailPairing,
  isPhoneNumber,
  LoggedOut,
  Logout,
  OrgId,
  PairingAttemptId,
  PairingFailed,
  PairingStarted,
  PhoneNumber,
  SessionCreated,
  sessionDecider,
  SessionDeleted,
  SessionId,
  SessionPaired,
  StartCodePairing,
  StartQrPairing,
  TEXT_MAX_CHARACTERS,
  WaIdentity,
  type LogoutActor,
  type PairingFailureReason,
  type PairingMethod,
  type SessionCommand,
  type SessionEvent,
  type SessionState
} from "@wa-gateway/domain"
import { Either } from "effect"
import * as fc from "fast-check"

// ── ids ──────────────────────────────────────────────────────────────────────


/** `sess_` + a ULID: the first character is 0–7 because the time part is 48 bits. */
export const sessionIdArb: fc.Arbitrary<SessionId> = fc
  .tuple(fc.constantFrom(..."01234567"), fc.string({ unit: fc.constantFrom(...CROCKFORD_ALPHABET), minLength: 25, maxLength: 25 }))
  .map(([first, rest]) => SessionId.make(`sess_${first}${rest}`))

export const orgIdArb: fc.Arbitrary<OrgId> = fc
  .oneof(
    { weight: 3, arbitrary: fc.stringMatching(/^[a-z][a-z0-9-]{0,23}$/) },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 200 }) }
  )
  .map((s) => OrgId.make(s))

export const phoneNumberArb: fc.Arbitrary<PhoneNumber> = fc.stringMatching(/^[0-9]{8,15}$/).map((s) => PhoneNumber.make(s))

/** Strings the seed's phone rule refuses: a leading `+`, too short or long, anything but ASCII digits. */
export const invalidPhoneArb: fc.Arbitrary<string> = fc
  .oneof(
    phoneNumberArb.map((p) => `+${p}`),
    fc.stringMatching(/^[0-9]{0,7}$/),
    fc.stringMatching(/^[0-9]{16,24}$/),
    fc
      .tuple(phoneNumberArb, fc.nat(), fc.constantFrom(" ", "-", "(", "a", "O", "٣", "\n", ".", "+"))
      .map(([p, at, c]) => {
        const i = at % (p.length + 1)
        return p.slice(0, i) + c + p.slice(i)
      }),
    fc.string({ maxLength: 20 })
  )
  .filter((s) => !isPhoneNumber(s))

export const sessionNameArb: fc.Arbitrary<string> = fc.string({ maxLength: TEXT_MAX_CHARACTERS })

export const pairingMethodArb: fc.Arbitrary<PairingMethod> = fc.constantFrom("qr", "code")
export const pairingFailureReasonArb: fc.Arbitrary<PairingFailureReason> = fc.constantFrom("expired", "rejected", "engine_error")
export const logoutActorArb: fc.Arbitrary<LogoutActor> = fc.constantFrom("user", "device")

export const waIdentityArb: fc.Arbitrary<WaIdentity> = fc
  .record({
    phoneNumber: phoneNumberArb,
    device: fc.integer({ min: 0, max: 99 }),
    lid: fc.option(fc.stringMatching(/^[0-9]{10,15}$/), { nil: null }),
    pushName: fc.option(fc.string({ maxLength: 25 }), { nil: null })
  })
  .map(({ phoneNumber, device, lid, pushName }) =>
    new WaIdentity({
      phoneNumber,
      waJid: `${phoneNumber}:${device}@s.whatsapp.net`,
      waLid: lid === null ? null : `${lid}@lid`,
      pushName
    })
  )

// ── commands ─────────────────────────────────────────────────────────────────

/**
 * The stream a generated lifecycle command names until `forSession` binds it
 * to another (e.g. one made by `SessionService.create`).
 */
export const testStreamId = SessionId.make("sess_01HZX8K3M9ABCDEFGHJKMNPQRS")

/**
 * Attempt ids from a pool of three, so an engine's report often names the
 * attempt in progress and sometimes an older one.
 */
export const attemptIdArb: fc.Arbitrary<PairingAttemptId> = fc.constantFrom(
  PairingAttemptId.make("pair_01HZX8K3M9AAAAAAAAAAAAAAAA"),
  PairingAttemptId.make("pair_01HZX8K3M9BBBBBBBBBBBBBBBB"),
  PairingAttemptId.make("pair_01HZX8K3M9CCCCCCCCCCCCCCCC")
)

export const createSessionArb: fc.Arbitrary<CreateSession> = fc
  .record({ sessionId: sessionIdArb, orgId: orgIdArb, name: sessionNameArb })
  .map((fields) => new CreateSession(fields))

const sessionId = testStreamId

export const startQrPairingArb: fc.Arbitrary<StartQrPairing> = attemptIdArb.map((attemptId) => new StartQrPairing({ sessionId, attemptId }))

/** A code pairing the decider accepts on a pairable session. */
export const validStartCodePairingArb: fc.Arbitrary<StartCodePairing> = fc
  .tuple(attemptIdArb, phoneNumberArb)
  .map(([attemptId, phone]) => new StartCodePairing({ sessionId, attemptId, phone }))

/** A code pairing refused with InvalidPhone. */
export const invalidStartCodePairingArb: fc.Arbitrary<StartCodePairing> = fc
  .tuple(attemptIdArb, invalidPhoneArb)
  .map(([attemptId, phone]) => new StartCodePairing({ sessionId, attemptId, phone }))

/** A pairing the decider accepts on a pairable session: by QR, or by code with a valid phone. */
export const validStartPairingArb: fc.Arbitrary<StartQrPairing | StartCodePairing> = fc.oneof(startQrPairingArb, validStartCodePairingArb)

export const startPairingArb: fc.Arbitrary<StartQrPairing | StartCodePairing> = fc.oneof(
  { weight: 2, arbitrary: startQrPairingArb },
  { weight: 2, arbitrary: validStartCodePairingArb },
  { weight: 1, arbitrary: invalidStartCodePairingArb }
)

export const completePairingArb: fc.Arbitrary<CompletePairing> = fc
  .tuple(attemptIdArb, waIdentityArb)
  .map(([attemptId, identity]) => new CompletePairing({ sessionId, attemptId, identity }))

/** An engine's failure report (naming an attempt) or the gateway's (naming none). */
export const failPairingArb: fc.Arbitrary<FailPairing> = fc
  .tuple(fc.option(attemptIdArb, { nil: undefined }), pairingFailureReasonArb)
  .map(([attemptId, reason]) =>
    attemptId === undefined ? new FailPairing({ sessionId, reason }) : new FailPairing({ sessionId, attemptId, reason }))

export const logoutArb: fc.Arbitrary<Logout> = logoutActorArb.map((by) => new Logout({ sessionId, by }))
export const deleteSessionArb: fc.Arbitrary<DeleteSession> = fc.constant(new DeleteSession({ sessionId }))

/** Every command but CreateSession; Delete is rarer so sequences live long enough to go somewhere. */
export const lifecycleCommandArb: fc.Arbitrary<Exclude<SessionCommand, CreateSession>> = fc.oneof(
  { weight: 4, arbitrary: startPairingArb },
  { weight: 3, arbitrary: completePairingArb },
  { weight: 2, arbitrary: failPairingArb },
  { weight: 2, arbitrary: logoutArb },
  { weight: 1, arbitrary: deleteSessionArb }
)

/** The same command on another session. */
export const forSession = (command: SessionCommand, target: SessionId): SessionCommand => {
  switch (command._tag) {
    case "CreateSession":
      return new CreateSession({ ...command, sessionId: target })
    case "StartQrPairing":
      return new StartQrPairing({ ...command, sessionId: target })
    case "StartCodePairing":
      return new StartCodePairing({ ...command, sessionId: target })
    case "CompletePairing":
      return new CompletePairing({ ...command, sessionId: target })
    case "FailPairing":
      return new FailPairing({ ...command, sessionId: target })
    case "Logout":
      return new Logout({ ...command, sessionId: target })
    case "DeleteSession":
      return new DeleteSession({ sessionId: target })
  }
}

const createTestStream = createSessionArb.map((c) => new CreateSession({ ...c, sessionId: testStreamId }))

/** One stream's commands: a CreateSession now and then (of `testStreamId`), lifecycle commands mostly. */
export const sessionCommandArb: fc.Arbitrary<SessionCommand> = fc.oneof(
  { weight: 1, arbitrary: createTestStream },
  { weight: 12, arbitrary: lifecycleCommandArb }
)

/**
 * Any commands in any order, valid or not: what a stream may be asked to do.
 * Most sequences open with a CreateSession so they get past the first step.
 */
export const commandSequenceArb: fc.Arbitrary<ReadonlyArray<SessionCommand>> = fc
  .tuple(fc.option(createTestStream, { freq: 8 }), fc.array(sessionCommandArb, { maxLength: 30, size: "max" }))
  .map(([create, rest]) => (create === null ? rest : [create, ...rest]))

/** Commands for a session that already exists (e.g. one made with `SessionService.create`). */
export const lifecycleCommandSequenceArb: fc.Arbitrary<ReadonlyArray<Exclude<SessionCommand, CreateSession>>> = fc.array(
  lifecycleCommandArb,
  { maxLength: 30 }
)

// ── events ───────────────────────────────────────────────────────────────────

export const sessionCreatedArb: fc.Arbitrary<SessionCreated> = fc
  .record({ sessionId: sessionIdArb, orgId: orgIdArb, name: sessionNameArb })
  .map((fields) => new SessionCreated(fields))

export const pairingStartedArb: fc.Arbitrary<PairingStarted> = fc.oneof(
  fc.tuple(pairingMethodArb, attemptIdArb).map(([method, attemptId]) => new PairingStarted({ method, attemptId })),
  fc.tuple(pairingMethodArb, phoneNumberArb, attemptIdArb).map(([method, phone, attemptId]) => new PairingStarted({ method, phone, attemptId }))
)

export const sessionPairedArb: fc.Arbitrary<SessionPaired> = waIdentityArb.map((identity) => new SessionPaired({ ...identity }))
export const pairingFailedArb: fc.Arbitrary<PairingFailed> = pairingFailureReasonArb.map((reason) => new PairingFailed({ reason }))
export const loggedOutArb: fc.Arbitrary<LoggedOut> = logoutActorArb.map((by) => new LoggedOut({ by }))
export const sessionDeletedArb: fc.Arbitrary<SessionDeleted> = fc.constant(new SessionDeleted())

/** Any single event, not necessarily valid where it would be appended. */
export const sessionEventArb: fc.Arbitrary<SessionEvent> = fc.oneof(
  sessionCreatedArb,
  pairingStartedArb,
  sessionPairedArb,
  pairingFailedArb,
  loggedOutArb,
  sessionDeletedArb
)

// ── valid histories ──────────────────────────────────────────────────────────

/** One stream's life: the commands tried, the events they produced, the state after. */
export interface SessionRun {
  readonly commands: ReadonlyArray<SessionCommand>
  /** Only the accepted commands' events, in order. */
  readonly events: ReadonlyArray<SessionEvent>
  readonly state: SessionState
}

/** Feed commands through decide/evolve, skipping the ones decide refuses. */
export const runCommands = (commands: ReadonlyArray<SessionCommand>, from: SessionState = sessionDecider.initialState): SessionRun => {
  const events: Array<SessionEvent> = []
  let state = from
  for (const command of commands) {
    const decided = sessionDecider.decide(command, state)
    if (Either.isLeft(decided)) continue
    for (const event of decided.right) {
      events.push(event)
      state = sessionDecider.evolve(state, event)
    }
  }
  return { commands, events, state }
}

export interface HistoryOptions {
  /** Lifecycle commands tried after CreateSession (default 30). */
  readonly maxSteps?: number
  /** `"never"`: no SessionDeleted; `"always"`: the history ends with one; default: it may. */
  readonly deleted?: "never" | "always" | "maybe"
}

/**
 * Runs that walk the state machine: CreateSession, then random lifecycle
 * commands of which only the accepted ones leave events, then perhaps a
 * delete (only at the end, so histories live long enough to go somewhere).
 * Shrinks by dropping commands, so a failing property shows a short, valid history.
 */
export const sessionRunArb = (options: HistoryOptions = {}): fc.Arbitrary<SessionRun> => {
  const steps = lifecycleCommandArb.filter((c) => c._tag !== "DeleteSession")
  const deleted = options.deleted === "always"
    ? fc.constant(true)
    : options.deleted === "never"
    ? fc.constant(false)
    : fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) })
  return fc
    .tuple(createSessionArb, fc.array(steps, { maxLength: options.maxSteps ?? 30, size: "max" }), deleted)
    .map(([create, rest, end]) =>
      runCommands([create, ...rest.map((c) => forSession(c, create.sessionId)), ...(end ? [new DeleteSession({ sessionId: create.sessionId })] : [])]))
}

/** Valid event histories (decide-accepted, starting with SessionCreated). */
export const validHistoryArb = (options: HistoryOptions = {}): fc.Arbitrary<ReadonlyArray<SessionEvent>> =>
  sessionRunArb(options).map((run) => run.events)

/** A valid history, possibly ending in SessionDeleted. */
export const sessionHistoryArb: fc.Arbitrary<ReadonlyArray<SessionEvent>> = validHistoryArb()

/** A valid history of a session that is still live (never deleted). */
export const liveSessionHistoryArb: fc.Arbitrary<ReadonlyArray<SessionEvent>> = validHistoryArb({ deleted: "never" })
