import { Effect, Random, Clock, Schema } from "effect"
import { isStorableText } from "./storable-text.js"

/** Crockford base32, the ULID alphabet (no I, L, O, U). */
export const CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

/** `sess_` + a 26-character ULID. */
const SESSION_ID_PATTERN = /^sess_[0-9A-HJKMNP-TV-Z]{26}$/

export const SessionId = Schema.String.pipe(
  Schema.pattern(SESSION_ID_PATTERN),
  Schema.brand("SessionId"),
  Schema.annotations({ identifier: "SessionId", description: "`sess_` + a 26-character ULID" })
)
export type SessionId = typeof SessionId.Type

/** `Schema.is(SessionId)` by its one rule, without the parser: for hot paths that check many ids (a page of rows). */
export const isSessionId = (u: unknown): u is SessionId => typeof u === "string" && SESSION_ID_PATTERN.test(u)

/** Stored in every row of the org, so it is storable text (no NUL, no lone surrogate). */
export const OrgId = Schema.String.pipe(
  Schema.minLength(1),
  Schema.maxLength(200),
  Schema.filter(isStorableText, { message: () => "must not contain NUL characters or unpaired surrogates" }),
  Schema.brand("OrgId"),
  Schema.annotations({ identifier: "OrgId" })
)
export type OrgId = typeof OrgId.Type

/** International format, digits only, no leading `+`, 8–15 digits (the seed's rule). */
/** The seed's phone rule: international format, digits only, no leading `+`, 8–15 digits. */
export const PHONE_NUMBER_PATTERN = /^[0-9]{8,15}$/

export const PhoneNumber = Schema.String.pipe(
  Schema.pattern(PHONE_NUMBER_PATTERN),
  Schema.brand("PhoneNumber"),
  Schema.annotations({ identifier: "PhoneNumber", description: "digits only, no leading +, 8–15 digits" })
)
export type PhoneNumber = typeof PhoneNumber.Type

/**
 * One pairing attempt (a QR or code request): recorded in `PairingStarted`
 * and echoed by the engine's pairing events, so an event of an older attempt
 * is refused by the decider rather than guessed at by the supervisor.
 */
export const PairingAttemptId = Schema.String.pipe(
  Schema.pattern(/^pair_[0-9A-HJKMNP-TV-Z]{26}$/),
  Schema.brand("PairingAttemptId"),
  Schema.annotations({ identifier: "PairingAttemptId", description: "`pair_` + a 26-character ULID" })
)
export type PairingAttemptId = typeof PairingAttemptId.Type

export const isPhoneNumber = Schema.is(PhoneNumber)

const encodeBase32 = (value: bigint, length: number): string => {
  let out = ""
  let rest = value
  for (let i = 0; i < length; i++) {
    out = CROCKFORD_ALPHABET[Number(rest & 31n)] + out
    rest >>= 5n
  }
  return out
}

/** The 80 random bits of a ULID, from Effect's Random. */
const randomBits: Effect.Effect<bigint> = Effect.gen(function* () {
  let random = 0n
  for (let i = 0; i < 5; i++) {
    random = (random << 16n) | BigInt(yield* Random.nextIntBetween(0, 65536))
  }
  return random
})

const encodeUlid = (millis: number, random: bigint): string => encodeBase32(BigInt(millis), 10) + encodeBase32(random, 16)

/** A ULID from Effect's Clock and Random, so tests control both. */
export const makeUlid: Effect.Effect<string> = Effect.gen(function* () {
  const millis = yield* Clock.currentTimeMillis
  return encodeUlid(millis, yield* randomBits)
})

export const makeSessionId: Effect.Effect<SessionId> = Effect.map(makeUlid, (ulid) => SessionId.make(`sess_${ulid}`))

export const makePairingAttemptId: Effect.Effect<PairingAttemptId> = Effect.map(makeUlid, (ulid) => PairingAttemptId.make(`pair_${ulid}`))

const RANDOM_LIMIT = 1n << 80n

/**
 * Session ids that sort in creation order even within one millisecond (the
 * monotonic ULID rule: same millisecond → the previous random part + 1), so
 * "newest first" never shuffles sessions created in the same millisecond.
 * Each generator keeps its own last id.
 */
export const makeMonotonicSessionIds: Effect.Effect<Effect.Effect<SessionId>> = Effect.sync(() => {
  let last: { readonly millis: number; readonly random: bigint } | null = null
  return Effect.gen(function* () {
    const millis = yield* Clock.currentTimeMillis
    const previous = last
    last = previous !== null && millis <= previous.millis && previous.random + 1n < RANDOM_LIMIT
      ? { millis: previous.millis, random: previous.random + 1n }
      : { millis, random: yield* randomBits }
    return SessionId.make(`sess_${encodeUlid(last.millis, last.random)}`)
  })
})
