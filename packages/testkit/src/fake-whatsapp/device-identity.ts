/**
 * The phone's signature on a new linked device (Baileys `Utils/validate-connection.js`
 * configureSuccessfulPairing): an `ADVSignedDeviceIdentity` signed with the account's identity key,
 * wrapped in an HMAC keyed with the companion's advSecret (from the QR, or derived in code pairing).
 */
import { randomBytes } from "node:crypto"
import { Curve, hmacSign, proto, WA_ADV_ACCOUNT_SIG_PREFIX, type KeyPair } from "@whiskeysockets/baileys"

export interface DeviceIdentityInput {
  /** The phone's account identity key pair (its public key becomes `accountSignatureKey`). */
  readonly account: KeyPair
  /** The companion's identity public key (`creds.signedIdentityKey.public`). */
  readonly companionIdentityKey: Uint8Array
  readonly advSecret: Uint8Array
  /** Sent back by the client as `key-index` in `pair-device-sign`. */
  readonly keyIndex: number
}

/** The encoded `ADVSignedDeviceIdentityHMAC` of `<pair-success><device-identity>`. */
export const signedDeviceIdentity = (input: DeviceIdentityInput): Uint8Array => {
  const details = proto.ADVDeviceIdentity.encode({
    rawId: randomBytes(4).readUInt32BE(),
    timestamp: Math.floor(Date.now() / 1000),
    keyIndex: input.keyIndex
  }).finish()
  // Account signature over [6, 0] ‖ device identity ‖ companion identity key.
  const accountSignature = Curve.sign(
    input.account.private,
    Buffer.concat([WA_ADV_ACCOUNT_SIG_PREFIX, details, input.companionIdentityKey])
  )
  const signed = proto.ADVSignedDeviceIdentity.encode({
    details,
    accountSignatureKey: input.account.public,
    accountSignature
  }).finish()
  return proto.ADVSignedDeviceIdentityHMAC.encode({ details: signed, hmac: hmacSign(signed, input.advSecret) }).finish()
}
