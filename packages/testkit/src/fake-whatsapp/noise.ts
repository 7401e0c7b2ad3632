/**
 * The responder side of WhatsApp's Noise handshake, `Noise_XX_25519_AESGCM_SHA256` (the mirror of Baileys'
 * `Utils/noise-handler.js`), built only from Baileys' exported crypto.
 */
import { aesDecryptGCM, aesEncryptGCM, Curve, hkdf, NOISE_MODE, sha256, type KeyPair } from "@whiskeysockets/baileys"

const concat = (...parts: ReadonlyArray<Uint8Array>): Buffer => Buffer.concat(parts)

/** AES-GCM nonce: 12 bytes, the counter big-endian in the last four. */
const nonce = (counter: number): Uint8Array => {
  const iv = new Uint8Array(12)
  new DataView(iv.buffer).setUint32(8, counter)
  return iv
}

/** The symmetric state both sides keep during the handshake: running hash, chaining key (salt), cipher key. */
class HandshakeState {
  // The mode string is exactly 32 bytes, so it is the initial hash itself (not its SHA-256).
  private hash: Uint8Array = Buffer.from(NOISE_MODE)
  private salt: Uint8Array = this.hash
  private key: Uint8Array = this.hash
  private counter = 0

  mixHash(data: Uint8Array): void {
    this.hash = sha256(concat(this.hash, data))
  }

  mixKey(sharedSecret: Uint8Array): void {
    const [salt, key] = this.split(sharedSecret)
    this.salt = salt
    this.key = key
    this.counter = 0
  }

  encrypt(plaintext: Uint8Array): Uint8Array {
    const ciphertext = aesEncryptGCM(plaintext, this.key, nonce(this.counter++), this.hash)
    this.mixHash(ciphertext)
    return ciphertext
  }

  /** Throws when the ciphertext does not authenticate. */
  decrypt(ciphertext: Uint8Array): Uint8Array {
    const plaintext = aesDecryptGCM(ciphertext, this.key, nonce(this.counter++), this.hash)
    this.mixHash(ciphertext)
    return plaintext
  }

  /** HKDF-SHA256 keyed by the chaining key, 64 bytes split in two halves. */
  split(input: Uint8Array): readonly [Uint8Array, Uint8Array] {
    const expanded = hkdf(input, 64, { salt: this.salt, info: "" })
    return [expanded.subarray(0, 32), expanded.subarray(32)]
  }
}

/** After the handshake: one key and counter per direction, empty associated data. */
export class NoiseTransport {
  private readCounter = 0
  private writeCounter = 0

  constructor(
    private readonly receiveKey: Uint8Array,
    private readonly sendKey: Uint8Array
  ) {}

  encrypt(plaintext: Uint8Array): Uint8Array {
    return aesEncryptGCM(plaintext, this.sendKey, nonce(this.writeCounter++), new Uint8Array(0))
  }

  /** Throws when the frame does not authenticate. */
  decrypt(ciphertext: Uint8Array): Uint8Array {
    return aesDecryptGCM(ciphertext, this.receiveKey, nonce(this.readCounter++), new Uint8Array(0))
  }
}

export interface ServerHello {
  readonly ephemeral: Uint8Array
  readonly static: Uint8Array
  readonly payload: Uint8Array
}

export interface HandshakeResult {
  /** The client's static Noise key: what identifies a linked device (Baileys `creds.noiseKey`). */
  readonly clientStaticKey: Uint8Array
  /** The decrypted `ClientPayload` bytes. */
  readonly clientPayload: Uint8Array
  readonly transport: NoiseTransport
}

/**
 * One handshake. `hello` answers the client's ephemeral key with the server's ephemeral key, its static key
 * (the leaf certificate's key) and the certificate chain, both encrypted; `finish` reads the client's static
 * key and payload and derives the transport keys. Both throw on bytes that do not authenticate.
 */
export class NoiseResponder {
  private readonly state = new HandshakeState()
  private readonly ephemeral: KeyPair = Curve.generateKeyPair()
  private clientEphemeral: Uint8Array | undefined

  constructor(
    introHeader: Uint8Array,
    private readonly staticKeyPair: KeyPair,
    private readonly certificateChain: Uint8Array
  ) {
    this.state.mixHash(introHeader)
  }

  hello(clientEphemeral: Uint8Array): ServerHello {
    if (clientEphemeral.length !== 32) throw new Error("client ephemeral key is not 32 bytes")
    this.clientEphemeral = clientEphemeral
    this.state.mixHash(clientEphemeral)
    this.state.mixHash(this.ephemeral.public)
    this.state.mixKey(Curve.sharedKey(this.ephemeral.private, clientEphemeral)) // ee
    const staticEncrypted = this.state.encrypt(this.staticKeyPair.public)
    this.state.mixKey(Curve.sharedKey(this.staticKeyPair.private, clientEphemeral)) // es
    const payload = this.state.encrypt(this.certificateChain)
    return { ephemeral: this.ephemeral.public, static: staticEncrypted, payload }
  }

  finish(clientStaticEncrypted: Uint8Array, clientPayloadEncrypted: Uint8Array): HandshakeResult {
    if (this.clientEphemeral === undefined) throw new Error("client finish before client hello")
    const clientStaticKey = this.state.decrypt(clientStaticEncrypted)
    if (clientStaticKey.length !== 32) throw new Error("client static key is not 32 bytes")
    this.state.mixKey(Curve.sharedKey(this.ephemeral.private, clientStaticKey)) // se
    const clientPayload = this.state.decrypt(clientPayloadEncrypted)
    // The client's first half is its write key, so it is the server's receive key.
    const [receiveKey, sendKey] = this.state.split(new Uint8Array(0))
    return { clientStaticKey, clientPayload, transport: new NoiseTransport(receiveKey, sendKey) }
  }
}
