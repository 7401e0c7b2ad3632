/**
 * The phone's side of pairing by code (Baileys `Socket/socket.js` requestPairingCode and
 * `Socket/messages-recv.js` link_code_companion_reg). The code only ever keys unauthenticated AES-CTR wraps
 * of the two ephemeral keys, so a wrong code shows only when the companion's key bundle fails to decrypt.
 */
import { randomBytes } from "node:crypto"
import { aesDecryptCTR, aesDecryptGCM, aesEncryptCTR, derivePairingCodeKey, hkdf } from "@whiskeysockets/baileys"

const SALT_LENGTH = 32
const CTR_IV_LENGTH = 16
const GCM_IV_LENGTH = 12
const KEY_LENGTH = 32

/** The 8 characters the client derives its keys from: a shown `ABCD-1234` typed with its dash or in lower case. */
export const normalizePairingCode = (code: string): string => code.replace(/[^0-9a-z]/gi, "").toUpperCase()

/** salt(32) ‖ iv(16) ‖ AES-CTR(public key) under PBKDF2(code, salt). */
export const wrapEphemeralKey = async (publicKey: Uint8Array, code: string): Promise<Uint8Array> => {
  const salt = randomBytes(SALT_LENGTH)
  const iv = randomBytes(CTR_IV_LENGTH)
  const key = await derivePairingCodeKey(normalizePairingCode(code), salt)
  return Buffer.concat([salt, iv, aesEncryptCTR(publicKey, key, iv)])
}

/** The inverse of wrapEphemeralKey; with a wrong code it returns 32 unrelated bytes (nothing authenticates). */
export const unwrapEphemeralKey = async (wrapped: Uint8Array, code: string): Promise<Uint8Array | undefined> => {
  if (wrapped.length !== SALT_LENGTH + CTR_IV_LENGTH + KEY_LENGTH) return undefined
  const salt = Buffer.from(wrapped.subarray(0, SALT_LENGTH))
  const iv = wrapped.subarray(SALT_LENGTH, SALT_LENGTH + CTR_IV_LENGTH)
  const key = await derivePairingCodeKey(normalizePairingCode(code), salt)
  return aesDecryptCTR(wrapped.subarray(SALT_LENGTH + CTR_IV_LENGTH), key, iv)
}

export interface KeyBundle {
  readonly companionIdentityKey: Uint8Array
  /** The phone's own identity key, echoed by the companion. */
  readonly primaryIdentityKey: Uint8Array
  readonly random: Uint8Array
}

/**
 * Opens `link_code_pairing_wrapped_key_bundle` = salt(32) ‖ iv(12) ‖ AES-GCM(bundle) under
 * HKDF(shared ephemeral secret, salt, "link_code_pairing_key_bundle_encryption_key"). Undefined when it does
 * not authenticate: the code entered on the phone was not the companion's.
 */
export const openKeyBundle = (wrapped: Uint8Array, sharedEphemeral: Uint8Array): KeyBundle | undefined => {
  if (wrapped.length <= SALT_LENGTH + GCM_IV_LENGTH) return undefined
  const salt = wrapped.subarray(0, SALT_LENGTH)
  const iv = wrapped.subarray(SALT_LENGTH, SALT_LENGTH + GCM_IV_LENGTH)
  const key = hkdf(sharedEphemeral, KEY_LENGTH, { salt, info: "link_code_pairing_key_bundle_encryption_key" })
  let bundle: Uint8Array
  try {
    bundle = aesDecryptGCM(wrapped.subarray(SALT_LENGTH + GCM_IV_LENGTH), key, iv, new Uint8Array(0))
  } catch {
    return undefined
  }
  if (bundle.length !== 3 * KEY_LENGTH) return undefined
  return {
    companionIdentityKey: bundle.subarray(0, KEY_LENGTH),
    primaryIdentityKey: bundle.subarray(KEY_LENGTH, 2 * KEY_LENGTH),
    random: bundle.subarray(2 * KEY_LENGTH)
  }
}

/** advSecret = HKDF(shared ephemeral ‖ shared identity ‖ random, "adv_secret"): the pair-success HMAC key. */
export const deriveAdvSecret = (sharedEphemeral: Uint8Array, sharedIdentity: Uint8Array, random: Uint8Array): Uint8Array =>
  hkdf(Buffer.concat([sharedEphemeral, sharedIdentity, random]), KEY_LENGTH, { info: "adv_secret" })
