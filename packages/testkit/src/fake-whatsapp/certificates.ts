/**
 * A test certificate chain in WhatsApp's shape (`proto.CertChain`): a root key pair the fake owns, an
 * intermediate signed by the root and a leaf signed by the intermediate. The leaf's key is the server's static
 * Noise key. A client trusts it when its `WA_CERT_DETAILS.PUBLIC_KEY` is the root's public key.
 */
import { Curve, proto, WA_CERT_DETAILS, type KeyPair } from "@whiskeysockets/baileys"

const INTERMEDIATE_SERIAL = 1
const LEAF_SERIAL = 2

export interface TestCertificateChain {
  readonly root: KeyPair
  /** Base64 of the root's 32 raw public-key bytes: `WA_CERT_DETAILS.PUBLIC_KEY`, our `WA_SERVER_CERT_ROOT`. */
  readonly rootPublicKeyBase64: string
  /** The server's static Noise key pair: the leaf certificate's key. */
  readonly leaf: KeyPair
  /** The encoded `CertChain`, sent encrypted in the server hello. */
  readonly encoded: Uint8Array
}

const certificate = (
  details: proto.CertChain.NoiseCertificate.IDetails,
  signer: KeyPair
): proto.CertChain.INoiseCertificate => {
  const encodedDetails = proto.CertChain.NoiseCertificate.Details.encode(details).finish()
  return { details: encodedDetails, signature: Curve.sign(signer.private, encodedDetails) }
}

export const makeTestCertificateChain = (root: KeyPair = Curve.generateKeyPair()): TestCertificateChain => {
  const intermediate = Curve.generateKeyPair()
  const leaf = Curve.generateKeyPair()
  const chain: proto.ICertChain = {
    // Baileys compares the intermediate's issuerSerial with WA_CERT_DETAILS.SERIAL (0) by `!==`: it must be
    // encoded explicitly, since an absent field decodes as null.
    intermediate: certificate({ serial: INTERMEDIATE_SERIAL, issuerSerial: WA_CERT_DETAILS.SERIAL, key: intermediate.public }, root),
    leaf: certificate({ serial: LEAF_SERIAL, issuerSerial: INTERMEDIATE_SERIAL, key: leaf.public }, intermediate)
  }
  return {
    root,
    rootPublicKeyBase64: Buffer.from(root.public).toString("base64"),
    leaf,
    encoded: proto.CertChain.encode(chain).finish()
  }
}
