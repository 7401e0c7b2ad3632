import { it as prop } from "@fast-check/vitest"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Random, Schema, TestClock } from "effect"
import * as fc from "fast-check"
import { invalidPhoneArb, phoneNumberArb, sessionIdArb } from "../../testkit/src/arbitraries.js"
import { CROCKFORD_ALPHABET, isPhoneNumber, isSessionId as isSessionIdByRule, makeMonotonicSessionIds, makePairingAttemptId, makeSessionId, makeUlid, OrgId, PairingAttemptId, PhoneNumber, SessionId } from "./ids.js"

const isSessionId = Schema.is(SessionId)


/** Reads Crockford base32 back into a number, independently of the encoder under test. */
const decode = (text: string): bigint =>
  [...text].reduce((value, char) => {
    const digit = CROCKFORD_ALPHABET.indexOf(char)
    if (digit < 0) throw new Error(`not Crockford base32: ${char}`)
    return value * 32n + BigInt(digit)
  }, 0n)

const MAX_TIME = 2 ** 48 - 1

/** A clock stopped at `millis`: lets a property run synchronously, without a TestClock per run. */
const stoppedClock = (millis: number): Clock.Clock => ({
  [Clock.ClockTypeId]: Clock.ClockTypeId,
  unsafeCurrentTimeMillis: () => millis,
  unsafeCurrentTimeNanos: () => BigInt(millis) * 1_000_000n,
  currentTimeMillis: Effect.succeed(millis),
  currentTimeNanos: Effect.succeed(BigInt(millis) * 1_000_000n),
  sleep: () => Effect.void
})

const ulidAtSync = (millis: number, draws: [number, ...Array<number>]): string =>
  Effect.runSync(makeUlid.pipe(Effect.withRandom(Random.fixed(draws)), Effect.withClock(stoppedClock(millis))))

/** A ULID at a fixed time (under the TestClock) with fixed 16-bit random draws. */
const ulidAt = (millis: number, draws: [number, ...Array<number>]) =>
  Effect.gen(function* () {
    yield* TestClock.setTime(millis)
    return yield* makeUlid.pipe(Effect.withRandom(Random.fixed(draws)))
  })

describe("makeUlid", () => {
  it.effect("encodes the time as the ULID spec's example does", () =>
    Effect.gen(function* () {
      // The example of github.com/ulid/spec: 1469918176385 ms is "01ARYZ6S41".
      const ulid = yield* ulidAt(1469918176385, [0])
      expect(ulid).toBe("01ARYZ6S410000000000000000")
    }))

  it.effect("is 26 Crockford base32 characters: 10 of time, then 16 of randomness", () =>
    Effect.gen(function* () {
      expect(yield* ulidAt(0, [0])).toBe("0".repeat(26))
      expect(yield* ulidAt(MAX_TIME, [65535])).toBe("7ZZZZZZZZZ" + "Z".repeat(16))
    }))

  it.effect("puts five 16-bit random draws, first draw first, into the last 80 bits", () =>
    Effect.gen(function* () {
      const ulid = yield* ulidAt(0, [1, 2, 3, 4, 5])
      expect(decode(ulid.slice(10))).toBe((1n << 64n) | (2n << 48n) | (3n << 32n) | (4n << 16n) | 5n)
      expect(ulid.slice(0, 10)).toBe("0000000000")
    }))

  prop.prop([fc.integer({ min: 0, max: MAX_TIME }), fc.array(fc.integer({ min: 0, max: 65535 }), { minLength: 5, maxLength: 5 })])(
    "the time prefix decodes back to the clock's milliseconds and the rest to the draws",
    (millis, draws) => {
      const ulid = ulidAtSync(millis, [draws[0] ?? 0, ...draws.slice(1)])
      expect(ulid).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/)
      expect(decode(ulid.slice(0, 10))).toBe(BigInt(millis))
      expect(decode(ulid.slice(10))).toBe(draws.reduce((acc, d) => (acc << 16n) | BigInt(d), 0n))
    }
  )

  prop.prop([fc.integer({ min: 0, max: MAX_TIME }), fc.integer({ min: 0, max: MAX_TIME })])(
    "a later time sorts after an earlier one, whatever the randomness",
    (a, b) => {
      fc.pre(a !== b)
      const [early, late] = a < b ? [a, b] : [b, a]
      expect(ulidAtSync(early, [65535]) < ulidAtSync(late, [0])).toBe(true)
    }
  )
})

describe("makeSessionId", () => {
  it.effect("is sess_ + a ULID of the current time", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1469918176385)
      const id = yield* makeSessionId
      expect(id.startsWith("sess_01ARYZ6S41")).toBe(true)
      expect(isSessionId(id)).toBe(true)
    }))

  it.effect("is deterministic under the same clock and seed", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_700_000_000_000)
      const a = yield* makeSessionId.pipe(Effect.withRandom(Random.make("seed")))
      const b = yield* makeSessionId.pipe(Effect.withRandom(Random.make("seed")))
      const c = yield* makeSessionId.pipe(Effect.withRandom(Random.make("another seed")))
      expect(a).toBe(b)
      expect(c).not.toBe(a)
      expect(c.slice(0, 15)).toBe(a.slice(0, 15))
    }))

  it.effect("differs between two draws at the same millisecond", () =>
    Effect.gen(function* () {
      const a = yield* makeSessionId
      const b = yield* makeSessionId
      expect(a).not.toBe(b)
    }))
})

describe("makeMonotonicSessionIds", () => {
  it.effect("sorts ids in creation order within one millisecond: the random part counts up by one", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_700_000_000_000)
      const next = yield* makeMonotonicSessionIds
      const ids: Array<string> = []
      for (let i = 0; i < 200; i++) ids.push(yield* next)
      expect(ids.every((id) => isSessionId(id) && id.startsWith("sess_01HF7YAT00"))).toBe(true)
      expect([...ids].sort()).toEqual(ids)
      expect(new Set(ids).size).toBe(ids.length)
      const randoms = ids.map((id) => decode(id.slice(15)))
      expect(randoms.slice(1).map((r, i) => r - randoms[i]!)).toEqual(Array.from({ length: 199 }, () => 1n))
    }))

  it.effect("draws a fresh random part when the clock moves on, and keeps the time prefix of the clock", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_700_000_000_000)
      const next = yield* makeMonotonicSessionIds
      const first = yield* next.pipe(Effect.withRandom(Random.fixed([1, 2, 3, 4, 5])))
      yield* TestClock.adjust("1 millis")
      const second = yield* next.pipe(Effect.withRandom(Random.fixed([9, 9, 9, 9, 9])))
      expect(decode(second.slice(5, 15)) - decode(first.slice(5, 15))).toBe(1n)
      expect(second.slice(15)).toBe(ulidAtSync(0, [9, 9, 9, 9, 9]).slice(10))
    }))

  it.effect("never goes backwards when the clock does", () =>
    Effect.gen(function* () {
      const next = yield* makeMonotonicSessionIds
      const later = yield* next.pipe(Effect.withClock(stoppedClock(1_700_000_000_500)))
      const earlier = yield* next.pipe(Effect.withClock(stoppedClock(1_700_000_000_000)))
      expect(earlier > later).toBe(true)
      expect(earlier.slice(5, 15)).toBe(later.slice(5, 15))
    }))

  it.effect("starts afresh when the random part of the millisecond is used up", () =>
    Effect.gen(function* () {
      const next = yield* makeMonotonicSessionIds
      const max = yield* next.pipe(Effect.withRandom(Random.fixed([65535, 65535, 65535, 65535, 65535])))
      expect(max.slice(15)).toBe("ZZZZZZZZZZZZZZZZ")
      const after = yield* next.pipe(Effect.withRandom(Random.fixed([0, 0, 0, 0, 7])))
      expect(after.slice(15)).toBe("0000000000000007")
    }))

  it.effect("keeps one sequence per generator", () =>
    Effect.gen(function* () {
      const a = yield* makeMonotonicSessionIds
      const b = yield* makeMonotonicSessionIds
      const fixed = Random.fixed([5, 5, 5, 5, 5])
      const fromA = yield* a.pipe(Effect.withRandom(fixed))
      const fromB = yield* b.pipe(Effect.withRandom(fixed))
      expect(fromB).toBe(fromA)
    }))
})

describe("SessionId", () => {
  prop.prop([sessionIdArb])("accepts sess_ + 26 Crockford characters", (id) => {
    expect(isSessionId(id)).toBe(true)
  })

  it.each([
    "sess_01hzx8k3m9abcdefghjkmnpqrs",
    "sess_01HZX8K3M9ABCDEFGHJKMNPQR",
    "sess_01HZX8K3M9ABCDEFGHJKMNPQRST",
    "sess_01HZX8K3M9ABCDEFGHJKMNPQRI",
    "sess_01HZX8K3M9ABCDEFGHJKMNPQRL",
    "sess_01HZX8K3M9ABCDEFGHJKMNPQRO",
    "sess_01HZX8K3M9ABCDEFGHJKMNPQRU",
    "01HZX8K3M9ABCDEFGHJKMNPQRS",
    "xsess_01HZX8K3M9ABCDEFGHJKMNPQRS",
    "sess_01HZX8K3M9ABCDEFGHJKMNPQRS\n",
    ""
  ])("refuses %j", (text) => {
    expect(isSessionId(text)).toBe(false)
    expect(isSessionIdByRule(text)).toBe(false)
  })

  prop.prop([sessionIdArb])("a value that only reads like an id as a string (an array of one, a boxed string) is not one", (id) => {
    for (const lookalike of [[id], { toString: () => id }, Object(id)]) {
      expect(isSessionId(lookalike)).toBe(false)
      expect(isSessionIdByRule(lookalike)).toBe(false)
    }
  })

  prop.prop([fc.oneof(sessionIdArb, sessionIdArb.map((id) => id.slice(0, -1) + "u"), fc.string({ maxLength: 40 }).map((s) => `sess_${s}`), fc.anything())])(
    "its guard without the parser (isSessionId) agrees with the schema on anything",
    (u) => {
      expect(isSessionIdByRule(u)).toBe(isSessionId(u))
    }
  )
})

describe("OrgId", () => {
  it("is 1 to 200 characters", () => {
    expect(() => OrgId.make("")).toThrow()
    expect(OrgId.make("a")).toBe("a")
    expect(OrgId.make("a".repeat(200))).toBe("a".repeat(200))
    expect(() => OrgId.make("a".repeat(201))).toThrow()
  })

  it("is storable text: no NUL, no lone surrogate (it is in every row of the org)", () => {
    expect(() => OrgId.make("acme\u0000")).toThrow(/must not contain NUL characters or unpaired surrogates/)
    expect(() => OrgId.make("acme\ud800")).toThrow(/must not contain NUL characters or unpaired surrogates/)
    expect(OrgId.make("acme 😀")).toBe("acme 😀")
  })
})

describe("PhoneNumber", () => {
  prop.prop([phoneNumberArb])("accepts 8–15 ASCII digits", (phone) => {
    expect(isPhoneNumber(phone)).toBe(true)
  })

  prop.prop([invalidPhoneArb])("refuses everything else", (text) => {
    expect(isPhoneNumber(text)).toBe(false)
    expect(() => PhoneNumber.make(text)).toThrow()
  })

  it.each(["12345678", "123456789012345"])("accepts the bounds: %s", (phone) => {
    expect(isPhoneNumber(phone)).toBe(true)
  })

  it.each(["1234567", "1234567890123456", "+12345678", "1234 5678", " 12345678", "12345678 "])("refuses %j", (phone) => {
    expect(isPhoneNumber(phone)).toBe(false)
  })
})

describe("SessionId.make", () => {
  it("brands a valid id and throws on an invalid one", () => {
    expect(SessionId.make("sess_01HZX8K3M9ABCDEFGHJKMNPQRS")).toBe("sess_01HZX8K3M9ABCDEFGHJKMNPQRS")
    expect(() => SessionId.make("sess_nope")).toThrow()
  })
})

describe("PairingAttemptId", () => {
  it.effect("is pair_ + a ULID from the clock and Random", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_700_000_000_000)
      const id = yield* makePairingAttemptId
      expect(id).toMatch(/^pair_01HF7YAT00[0-9A-HJKMNP-TV-Z]{16}$/)
      expect(Schema.is(PairingAttemptId)(id)).toBe(true)
      expect(Schema.is(PairingAttemptId)(id.replace("pair_", "sess_"))).toBe(false)
    }))
})
