import { Effect, Encoding, type Random } from "effect"
import { WaIdentity, type PhoneNumber } from "@wa-gateway/domain"

// Values shaped like WhatsApp's, drawn from one seeded Random so a run is reproducible.

const bytes = (random: Random.Random, count: number) =>
  Effect.map(
    Effect.all(Array.from({ length: count }, () => random.nextIntBetween(0, 256))),
    (values) => Uint8Array.from(values)
  )

const base64 = (random: Random.Random, count: number) => Effect.map(bytes(random, count), Encoding.encodeBase64)

/** `2@<ref>,<noise key>,<identity key>,<adv secret>`: the four comma-separated parts of a WhatsApp Web QR. */
export const fakeQr = (random: Random.Random): Effect.Effect<string> =>
  Effect.map(
    Effect.all([base64(random, 36), base64(random, 32), base64(random, 32), base64(random, 32)]),
    ([ref, noiseKey, identityKey, advSecret]) => `2@${ref},${noiseKey},${identityKey},${advSecret}`
  )

/** No 0/O or 1/I: a person types this code on a phone. */
const CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

/** `ABCD-1234` shape: 8 characters, a dash in the middle. */
export const fakePairingCode = (random: Random.Random): Effect.Effect<string> =>
  Effect.map(
    Effect.all(Array.from({ length: 8 }, () => random.nextIntBetween(0, CODE_ALPHABET.length))),
    (indexes) => {
      const chars = indexes.map((i) => CODE_ALPHABET[i]).join("")
      return `${chars.slice(0, 4)}-${chars.slice(4)}`
    }
  )

/** What a person types may differ in case and dashes/spaces from what was shown. */
export const normalizePairingCode = (code: string): string => code.replace(/[\s-]/g, "").toUpperCase()

const digits = (random: Random.Random, count: number) =>
  Effect.map(
    Effect.all(Array.from({ length: count }, (_, i) => random.nextIntBetween(i === 0 ? 1 : 0, 10))),
    (values) => values.join("")
  )

/** A linked device: `<phone>:<device>@s.whatsapp.net` and `<lid>:<device>@lid`. */
export const fakeIdentity = (
  random: Random.Random,
  account: { readonly phoneNumber: PhoneNumber; readonly pushName: string | null }
): Effect.Effect<WaIdentity> =>
  Effect.gen(function* () {
    const device = yield* random.nextIntBetween(1, 100)
    const lid = yield* digits(random, 15)
    return new WaIdentity({
      phoneNumber: account.phoneNumber,
      waJid: `${account.phoneNumber}:${device}@s.whatsapp.net`,
      waLid: `${lid}:${device}@lid`,
      pushName: account.pushName
    })
  })
