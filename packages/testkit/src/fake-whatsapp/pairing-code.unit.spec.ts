import { Curve, hkdf, aesEncryptGCM } from "@whiskeysockets/baileys"
import { randomBytes } from "node:crypto"
import { describe, expect, it } from "vitest"
import { normalizePairingCode, openKeyBundle, unwrapEphemeralKey, wrapEphemeralKey } from "./pairing-code.js"

/** The companion's key bundle as Baileys' messages-recv.js builds it. */
const sealBundle = (sharedEphemeral: Uint8Array, bundle: Uint8Array): Uint8Array => {
  const salt = randomBytes(32)
  const iv = randomBytes(12)
  const key = hkdf(sharedEphemeral, 32, { salt, info: "link_code_pairing_key_bundle_encryption_key" })
  return Buffer.concat([salt, iv, aesEncryptGCM(bundle, key, iv, new Uint8Array(0))])
}

describe("pairing code crypto of the phone", () => {
  it("reads a code typed with a dash or in lower case as the client's 8 characters", () => {
    expect(normalizePairingCode("abcd-1234")).toBe("ABCD1234")
  })

  it("unwraps an ephemeral key with the right code; a wrong code gives other bytes, not an error", async () => {
    const key = Curve.generateKeyPair().public
    const wrapped = await wrapEphemeralKey(key, "ABCD1234")
    expect(wrapped).toHaveLength(80)
    expect(Buffer.from((await unwrapEphemeralKey(wrapped, "ABCD-1234")) ?? []).equals(Buffer.from(key))).toBe(true)
    const wrong = await unwrapEphemeralKey(wrapped, "ABCD1235")
    expect(wrong).toHaveLength(32)
    expect(Buffer.from(wrong ?? []).equals(Buffer.from(key))).toBe(false)
    expect(await unwrapEphemeralKey(wrapped.subarray(1), "ABCD1234")).toBeUndefined()
  })

  it("opens the key bundle only under the shared secret it was sealed with", () => {
    const shared = randomBytes(32)
    const bundle = randomBytes(96)
    const opened = openKeyBundle(sealBundle(shared, bundle), shared)
    expect(Buffer.from(opened?.companionIdentityKey ?? []).equals(bundle.subarray(0, 32))).toBe(true)
    expect(Buffer.from(opened?.primaryIdentityKey ?? []).equals(bundle.subarray(32, 64))).toBe(true)
    expect(Buffer.from(opened?.random ?? []).equals(bundle.subarray(64))).toBe(true)
    expect(openKeyBundle(sealBundle(shared, bundle), randomBytes(32))).toBeUndefined()
    expect(openKeyBundle(sealBundle(shared, randomBytes(64)), shared)).toBeUndefined()
  })
})
