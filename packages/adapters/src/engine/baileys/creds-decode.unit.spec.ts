import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { decodeCreds, encodeCreds, encodeValue } from "./auth-state.js"
import { initAuthCreds } from "./baileys.js"

describe("decodeCreds", () => {
  /** Stored creds as an older Baileys wrote them: the key pairs, without the plain fields a newer one added. */
  const olderCreds = () => {
    const { noiseKey, pairingEphemeralKeyPair, signedIdentityKey, signedPreKey, registrationId, advSecretKey } = initAuthCreds()
    return encodeValue({ noiseKey, pairingEphemeralKeyPair, signedIdentityKey, signedPreKey, registrationId, advSecretKey })
  }

  it("gives stored creds that lack a plain field initAuthCreds()'s default, and keeps their own keys", () => {
    const stored = olderCreds()
    const back = Either.getOrThrow(decodeCreds(stored))
    const fresh = initAuthCreds()
    expect(back.nextPreKeyId).toBe(fresh.nextPreKeyId)
    expect(back.accountSettings).toEqual(fresh.accountSettings)
    expect(back.processedHistoryMessages).toEqual([])
    expect(back.registered).toBe(false)
    // The keys are the stored ones, not freshly generated defaults.
    expect(JSON.parse(encodeCreds(back))["noiseKey"]).toEqual(JSON.parse(stored)["noiseKey"])
  })

  it("shares no default object between two decodes (Baileys mutates creds in place)", () => {
    const stored = olderCreds()
    const one = Either.getOrThrow(decodeCreds(stored))
    const two = Either.getOrThrow(decodeCreds(stored))
    one.processedHistoryMessages.push({ key: { id: "x" }, messageTimestamp: 1 })
    one.accountSettings.unarchiveChats = true
    expect(two.processedHistoryMessages).toEqual([])
    expect(two.accountSettings.unarchiveChats).toBe(false)
    expect(Either.getOrThrow(decodeCreds(stored)).accountSettings.unarchiveChats).toBe(false)
  })

  it("a stored field wins over the default", () => {
    const creds = { ...initAuthCreds(), nextPreKeyId: 42, registered: true }
    const back = Either.getOrThrow(decodeCreds(encodeCreds(creds)))
    expect(back.nextPreKeyId).toBe(42)
    expect(back.registered).toBe(true)
  })

  it("refuses text that is not JSON, and creds without their key pairs", () => {
    expect(decodeCreds("{")).toEqual(Either.left("the stored creds are not JSON"))
    expect(decodeCreds(encodeValue({ registrationId: 1 }))).toEqual(Either.left("the stored creds lack their key pairs"))
  })
})
