import { createRequire } from "node:module"
import { Effect, Option, type Scope } from "effect"
import { Curve, WA_CERT_DETAILS } from "./baileys.js"

// The Noise handshake checks the server's certificate chain with Baileys'
// `Curve.verify`: the intermediate against `WA_CERT_DETAILS.PUBLIC_KEY`
// (WhatsApp's root), the leaf against the intermediate. On rc12–rc14 that
// check does not bite: `Curve.verify` returns true unless libsignal's
// `verifySignature` throws, and libsignal 6 returns `false` for a bad
// signature instead of throwing. So an unpatched client trusts any server
// that knows the format. We replace `Curve.verify` on the module instance
// the sockets use with one that honours libsignal's answer; the phone's
// account signature in `pair-success` goes through the same function.

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null

/** libsignal's curve module, as Baileys itself loads it (resolved from Baileys' own folder). */
const libsignalCurve = (): { readonly verifySignature: (publicKey: Buffer, message: Uint8Array, signature: Uint8Array) => unknown } => {
  const fromBaileys = createRequire(createRequire(import.meta.url).resolve("@whiskeysockets/baileys/package.json"))
  const loaded: unknown = fromBaileys("libsignal/src/curve.js")
  if (!isRecord(loaded)) throw new Error("libsignal's curve module did not load")
  const verifySignature = loaded["verifySignature"]
  if (typeof verifySignature !== "function") throw new Error("libsignal's curve module has no verifySignature")
  return { verifySignature: (publicKey, message, signature) => Reflect.apply(verifySignature, loaded, [publicKey, message, signature]) }
}

const curve = libsignalCurve()

/** Signal's public keys carry a type byte (5) before the 32 key bytes. */
const signalPublicKey = (publicKey: Uint8Array): Buffer =>
  publicKey.length === 33 ? Buffer.from(publicKey) : Buffer.concat([Buffer.from([5]), publicKey])

/**
 * Signatures found valid, by their exact bytes. Every handshake with the same
 * server presents the same chain, and libsignal's pure-JS check costs ~6 ms a
 * signature: a runner taking over a hundred sessions spent a fifth of its CPU
 * re-checking two signatures it had already checked (measured in the cluster
 * drill's hand-over). Only a yes is kept; the same bytes get the same answer.
 */
const verified = new Set<string>()
const VERIFIED_LIMIT = 64

const tripleKey = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): string =>
  `${Buffer.from(publicKey).toString("base64")}.${Buffer.from(message).toString("base64")}.${Buffer.from(signature).toString("base64")}`

const remember = (key: string) => {
  // Oldest first out: a Set iterates in insertion order.
  if (verified.size >= VERIFIED_LIMIT) verified.delete(verified.values().next().value ?? key)
  verified.add(key)
}

/** XEdDSA verification that means it: true only when libsignal says the signature is valid. */
export const honouringVerify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean => {
  const key = tripleKey(publicKey, message, signature)
  if (verified.has(key)) return true
  try {
    const valid = curve.verifySignature(signalPublicKey(publicKey), message, signature) === true
    if (valid) remember(key)
    return valid
  } catch {
    return false
  }
}

/** How Baileys' Noise handler words a certificate it does not accept (`Utils/noise-handler.js`). */
const REFUSALS = [
  "noise certificate signature invalid",
  "noise intermediate certificate signature invalid",
  "certification match failed",
  "invalid noise leaf certificate",
  "invalid noise intermediate certificate"
]

/** A socket closed because the server's certificate chain was refused. */
export const isCertificateRefusal = (message: string): boolean => REFUSALS.some((refusal) => message.includes(refusal))

/** The words an operator sees in the log and in the 503 for a refused chain. */
export const CERTIFICATE_REFUSED = "server certificate chain refused"

export interface ServerTrust {
  /** `WA_VERIFY_SERVER_CERT`: check the signatures for real (default). */
  readonly verifyServerCert: boolean
  /** `WA_SERVER_CERT_ROOT`: the 32-byte public key the chain must lead to instead of WhatsApp's. */
  readonly certRoot: Option.Option<Uint8Array>
}

/**
 * Installs the verifier (unless turned off) and the root on Baileys' module
 * for this scope, and puts back what was there when it closes. Both are
 * process-wide Baileys state: one gateway per process sets them. Answers the
 * warnings an operator must see.
 */
export const installServerTrust = (trust: ServerTrust): Effect.Effect<ReadonlyArray<string>, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const before = { verify: Curve.verify, root: WA_CERT_DETAILS.PUBLIC_KEY }
      if (trust.verifyServerCert) Curve.verify = honouringVerify
      if (Option.isSome(trust.certRoot)) WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(trust.certRoot.value)
      return before
    }),
    (before) =>
      Effect.sync(() => {
        Curve.verify = before.verify
        WA_CERT_DETAILS.PUBLIC_KEY = before.root
      })
  ).pipe(Effect.as([
    ...(trust.verifyServerCert ? [] : ["WA_VERIFY_SERVER_CERT=false: the WhatsApp server's certificate chain is NOT verified; any server that knows the format is trusted"]),
    ...(Option.isSome(trust.certRoot)
      ? [`WA_SERVER_CERT_ROOT is set: the server's certificate chain must lead to the root ${Buffer.from(trust.certRoot.value).toString("base64")}, not WhatsApp's own; for test servers only`]
      : [])
  ]))
