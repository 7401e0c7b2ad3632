/**
 * What a phone's camera reads from a companion's QR code (Baileys `buildPairingQRData`):
 * `https://wa.me/settings/linked_devices#ref,noiseKey,identityKey,advSecret,platform`, keys in base64.
 */

export interface QrContents {
  /** One of the refs the server sent in `pair-device`. */
  readonly ref: string
  /** The companion's static Noise key: the one it used in this connection's handshake. */
  readonly noiseKey: Uint8Array
  readonly identityKey: Uint8Array
  /** The key of the pair-success HMAC. */
  readonly advSecret: Uint8Array
  readonly platform: string
}

const KEY_LENGTH = 32

const base64Key = (text: string): Uint8Array | undefined => {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined
  const bytes = Buffer.from(text, "base64")
  return bytes.length === KEY_LENGTH ? bytes : undefined
}

/** Undefined when the text is not a companion QR. */
export const parseQr = (qr: string): QrContents | undefined => {
  const hash = qr.indexOf("#")
  const parts = (hash === -1 ? qr : qr.slice(hash + 1)).trim().split(",")
  if (parts.length !== 5) return undefined
  const [ref = "", noise = "", identity = "", adv = "", platform = ""] = parts
  const noiseKey = base64Key(noise)
  const identityKey = base64Key(identity)
  const advSecret = base64Key(adv)
  if (ref === "" || noiseKey === undefined || identityKey === undefined || advSecret === undefined) return undefined
  return { ref, noiseKey, identityKey, advSecret, platform }
}
