import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit, Option, Scope } from "effect"
import { Curve, type KeyPair, makeNoiseHandler, NOISE_WA_HEADER, proto, WA_CERT_DETAILS } from "./baileys.js"
import { honouringVerify, installServerTrust, isCertificateRefusal } from "./certificate-check.js"
import type { BaileysLogger } from "./baileys.js"

const silent: BaileysLogger = { level: "silent", child: () => silent, trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }

const signed = (details: proto.CertChain.NoiseCertificate.IDetails, signer: KeyPair): proto.CertChain.INoiseCertificate => {
  const encoded = proto.CertChain.NoiseCertificate.Details.encode(details).finish()
  return { details: encoded, signature: Curve.sign(signer.private, encoded) }
}

/** A certificate chain in WhatsApp's shape: an intermediate signed by `root`, a leaf signed by the intermediate. */
const chainUnder = (root: KeyPair, serverStatic: KeyPair, tamper = false): Uint8Array => {
  const intermediate = Curve.generateKeyPair()
  const leaf = signed({ serial: 2, issuerSerial: 1, key: serverStatic.public }, intermediate)
  if (tamper && leaf.signature) leaf.signature = Uint8Array.from(leaf.signature, (b, i) => (i === 0 ? b ^ 1 : b))
  return proto.CertChain.encode({
    intermediate: signed({ serial: 1, issuerSerial: WA_CERT_DETAILS.SERIAL, key: intermediate.public }, root),
    leaf
  }).finish()
}

/**
 * Runs the client side of Baileys' own Noise handshake (the code every
 * socket runs) against a server hello carrying `chain`; the server's half is
 * a second Noise state that mirrors the client's transcript.
 */
const handshake = (chain: Uint8Array): Either.Either<void, string> => {
  const client = Curve.generateKeyPair()
  const server = { ephemeral: Curve.generateKeyPair(), static: Curve.generateKeyPair() }
  const clientNoise = makeNoiseHandler({ keyPair: client, NOISE_HEADER: NOISE_WA_HEADER, logger: silent })
  // The responder's transcript starts like the client's: the header, then the client's ephemeral key.
  const serverNoise = makeNoiseHandler({ keyPair: { public: client.public, private: server.ephemeral.private }, NOISE_HEADER: NOISE_WA_HEADER, logger: silent })
  serverNoise.authenticate(server.ephemeral.public)
  serverNoise.mixIntoKey(Curve.sharedKey(server.ephemeral.private, client.public))
  const encryptedStatic = serverNoise.encrypt(server.static.public)
  serverNoise.mixIntoKey(Curve.sharedKey(server.static.private, client.public))
  const payload = serverNoise.encrypt(chain)
  return Either.try({
    try: () => void clientNoise.processHandshake(
      proto.HandshakeMessage.fromObject({ serverHello: { ephemeral: server.ephemeral.public, static: encryptedStatic, payload } }),
      Curve.generateKeyPair()
    ),
    catch: (error) => (error instanceof Error ? error.message : String(error))
  })
}

/** Runs `check` with the trust installed, then closes its scope (restoring Baileys' module). */
const withTrust = <A>(trust: Parameters<typeof installServerTrust>[0], check: () => A) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    yield* Scope.extend(installServerTrust(trust), scope)
    const result = check()
    yield* Scope.close(scope, Exit.void)
    return result
  })

describe("the server certificate check", () => {
  const rootA = Curve.generateKeyPair()
  const rootB = Curve.generateKeyPair()

  it("the honouring verifier says yes to a right signature and no to a wrong one", () => {
    const message = Buffer.from("details")
    const signature = Curve.sign(rootA.private, message)
    expect(honouringVerify(rootA.public, message, signature)).toBe(true)
    expect(honouringVerify(rootB.public, message, signature)).toBe(false)
    expect(honouringVerify(rootA.public, Buffer.from("tampered"), signature)).toBe(false)
    expect(honouringVerify(rootA.public, message, new Uint8Array(3))).toBe(false)
  })

  it("a signature already found valid is valid again, and a changed byte after it is still refused", () => {
    const message = Buffer.from("repeated details")
    const signature = Curve.sign(rootA.private, message)
    for (let i = 0; i < 3; i++) expect(honouringVerify(rootA.public, message, signature)).toBe(true)
    const flipped = Uint8Array.from(signature, (b, i) => (i === 10 ? b ^ 1 : b))
    expect(honouringVerify(rootA.public, message, flipped)).toBe(false)
    expect(honouringVerify(rootB.public, message, signature)).toBe(false)
    expect(honouringVerify(rootA.public, Buffer.from("repeated detailz"), signature)).toBe(false)
  })

  it("many distinct valid signatures (more than it remembers) all stay valid, and wrong ones stay wrong", () => {
    for (let i = 0; i < 70; i++) {
      const message = Buffer.from(`details ${i}`)
      const signature = Curve.sign(rootA.private, message)
      expect(honouringVerify(rootA.public, message, signature)).toBe(true)
      if (i % 20 === 0) expect(honouringVerify(rootB.public, message, signature)).toBe(false)
    }
  })

  it.effect("with the verifier, Baileys' handshake accepts a chain from the configured root", () =>
    Effect.gen(function* () {
      const serverStatic = Curve.generateKeyPair()
      const outcome = yield* withTrust({ verifyServerCert: true, certRoot: Option.some(rootA.public) }, () => handshake(chainUnder(rootA, serverStatic)))
      expect(outcome).toEqual(Either.right(undefined))
    }))

  it.effect("with the verifier, a chain from another root is refused, in words the engine knows", () =>
    Effect.gen(function* () {
      const serverStatic = Curve.generateKeyPair()
      const outcome = yield* withTrust({ verifyServerCert: true, certRoot: Option.some(rootB.public) }, () => handshake(chainUnder(rootA, serverStatic)))
      expect(Either.isLeft(outcome) && isCertificateRefusal(outcome.left)).toBe(true)
      expect(outcome).toEqual(Either.left("noise intermediate certificate signature invalid"))
    }))

  it.effect("with the verifier, a leaf whose signature was altered is refused", () =>
    Effect.gen(function* () {
      const outcome = yield* withTrust({ verifyServerCert: true, certRoot: Option.some(rootA.public) }, () =>
        handshake(chainUnder(rootA, Curve.generateKeyPair(), true)))
      expect(outcome).toEqual(Either.left("noise certificate signature invalid"))
    }))

  it.effect("without it (WA_VERIFY_SERVER_CERT=false) Baileys accepts the chain from the wrong root: why we install one", () =>
    Effect.gen(function* () {
      const outcome = yield* withTrust({ verifyServerCert: false, certRoot: Option.some(rootB.public) }, () => handshake(chainUnder(rootA, Curve.generateKeyPair())))
      expect(outcome).toEqual(Either.right(undefined))
    }))

  it.effect("by default only WhatsApp's own root is trusted: a chain from any other root is refused", () =>
    Effect.gen(function* () {
      const outcome = yield* withTrust({ verifyServerCert: true, certRoot: Option.none() }, () => handshake(chainUnder(rootA, Curve.generateKeyPair())))
      expect(outcome).toEqual(Either.left("noise intermediate certificate signature invalid"))
    }))

  it.effect("warns when the check is off or the root replaced, and puts Baileys' module back when its scope closes", () =>
    Effect.gen(function* () {
      const before = { verify: Curve.verify, root: WA_CERT_DETAILS.PUBLIC_KEY }
      const scope = yield* Scope.make()
      const warnings = yield* Scope.extend(installServerTrust({ verifyServerCert: false, certRoot: Option.some(rootA.public) }), scope)
      expect(warnings).toEqual([
        expect.stringContaining("WA_VERIFY_SERVER_CERT=false"),
        expect.stringContaining(`WA_SERVER_CERT_ROOT is set: the server's certificate chain must lead to the root ${Buffer.from(rootA.public).toString("base64")}`)
      ])
      expect(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY).equals(Buffer.from(rootA.public))).toBe(true)
      yield* Scope.close(scope, Exit.void)
      expect(Curve.verify).toBe(before.verify)
      expect(WA_CERT_DETAILS.PUBLIC_KEY).toBe(before.root)
      expect(yield* Effect.scoped(installServerTrust({ verifyServerCert: true, certRoot: Option.none() }))).toEqual([])
    }))
})
