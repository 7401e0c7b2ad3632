/**
 * WhatsApp's transport framing (Baileys `Utils/noise-handler.js` encodeFrame/decodeFrame): the client's
 * first bytes are an intro, then every frame in both directions is a 3-byte big-endian length and the payload.
 */

/** `WA 06 03`: "WA", the protocol version and the binary dictionary version (Baileys `NOISE_WA_HEADER`). */
export const WA_INTRO = Uint8Array.of(0x57, 0x41, 6, 3)

/** `ED 00 01`: prefix of an intro that carries routing info (a client whose creds hold `routingInfo`). */
const ROUTING_PREFIX = Uint8Array.of(0x45, 0x44, 0, 1)

const MAX_FRAME_LENGTH = 0xff_ff_ff

export class MalformedFrame extends Error {
  override readonly name = "MalformedFrame"
}

export interface Intro {
  /** The `WA 06 03` header: the only part of the intro mixed into the Noise handshake hash. */
  readonly header: Uint8Array
  readonly routingInfo: Uint8Array | undefined
}

const startsWith = (bytes: Uint8Array, prefix: Uint8Array, at = 0): boolean =>
  bytes.length >= at + prefix.length && prefix.every((byte, i) => bytes[at + i] === byte)

const readLength = (bytes: Uint8Array, at: number): number =>
  ((bytes[at] ?? 0) << 16) | ((bytes[at + 1] ?? 0) << 8) | (bytes[at + 2] ?? 0)

/** Parses an intro at the start of `bytes`: undefined while incomplete; throws MalformedFrame when it is not one. */
const parseIntro = (bytes: Uint8Array): { readonly intro: Intro; readonly length: number } | undefined => {
  if (bytes[0] === ROUTING_PREFIX[0]) {
    // ED 00 01, a 3-byte length, the routing info, then WA 06 03
    const available = Math.min(bytes.length, ROUTING_PREFIX.length)
    if (!startsWith(bytes.subarray(0, available), ROUTING_PREFIX.subarray(0, available))) {
      throw new MalformedFrame("intro: an ED header of an unknown version")
    }
    if (bytes.length < 7) return undefined
    const routingLength = readLength(bytes, 4)
    const headerAt = 7 + routingLength
    if (bytes.length < headerAt + WA_INTRO.length) return undefined
    if (!startsWith(bytes, WA_INTRO, headerAt)) throw new MalformedFrame("intro: no WA header after the routing info")
    return {
      intro: { header: bytes.slice(headerAt, headerAt + WA_INTRO.length), routingInfo: bytes.slice(7, headerAt) },
      length: headerAt + WA_INTRO.length
    }
  }
  const available = Math.min(bytes.length, WA_INTRO.length)
  if (!startsWith(bytes.subarray(0, available), WA_INTRO.subarray(0, available))) {
    throw new MalformedFrame("intro: neither WA nor ED header")
  }
  if (bytes.length < WA_INTRO.length) return undefined
  return { intro: { header: bytes.slice(0, WA_INTRO.length), routingInfo: undefined }, length: WA_INTRO.length }
}

/** Splits the client's byte stream into its intro and frames, whatever the WebSocket message boundaries. */
export class ClientFrameReader {
  private buffered: Uint8Array = new Uint8Array(0)
  private introRead: Intro | undefined

  get intro(): Intro | undefined {
    return this.introRead
  }

  /** Adds bytes; returns the frames completed by them. Throws MalformedFrame on a bad intro. */
  push(chunk: Uint8Array): ReadonlyArray<Uint8Array> {
    this.buffered = this.buffered.length === 0 ? chunk : concat(this.buffered, chunk)
    if (this.introRead === undefined) {
      const parsed = parseIntro(this.buffered)
      if (parsed === undefined) return []
      this.introRead = parsed.intro
      this.buffered = this.buffered.subarray(parsed.length)
    }
    const frames: Array<Uint8Array> = []
    while (this.buffered.length >= 3) {
      const length = readLength(this.buffered, 0)
      if (this.buffered.length < 3 + length) break
      frames.push(this.buffered.slice(3, 3 + length))
      this.buffered = this.buffered.subarray(3 + length)
    }
    return frames
  }
}

/** One server frame: the 3-byte length, then the payload. */
export const encodeFrame = (payload: Uint8Array): Buffer => {
  if (payload.length > MAX_FRAME_LENGTH) throw new MalformedFrame(`frame of ${payload.length} bytes is too long`)
  const frame = Buffer.allocUnsafe(3 + payload.length)
  frame[0] = (payload.length >>> 16) & 0xff
  frame[1] = (payload.length >>> 8) & 0xff
  frame[2] = payload.length & 0xff
  frame.set(payload, 3)
  return frame
}

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const joined = new Uint8Array(a.length + b.length)
  joined.set(a)
  joined.set(b, a.length)
  return joined
}
