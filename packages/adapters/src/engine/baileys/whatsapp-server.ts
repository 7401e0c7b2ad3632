import { Either, Option } from "effect"

/**
 * Which WhatsApp server the Baileys engine talks to and what it trusts:
 * `WA_SERVER_URL`, `WA_SERVER_CERT_ROOT`, `WA_VERIFY_SERVER_CERT`
 * (API.md "Engine configuration"). Real WhatsApp unless a test server is named.
 */
export interface WhatsAppServer {
  /** A `ws://` or `wss://` URL of a test server; none: WhatsApp's own. */
  readonly serverUrl: Option.Option<string>
  /** The 32-byte public key the server's certificate chain must lead to; none: WhatsApp's own root. */
  readonly certRoot: Option.Option<Uint8Array>
  /** Check the chain's signatures for real (Baileys itself does not). */
  readonly verifyServerCert: boolean
}

export const realWhatsApp: WhatsAppServer = { serverUrl: Option.none(), certRoot: Option.none(), verifyServerCert: true }

/** `WA_SERVER_URL`: an absolute `ws://` or `wss://` URL. */
export const parseServerUrl = (text: string): Either.Either<string, string> => {
  const url = Either.try(() => new URL(text))
  return Either.isRight(url) && (url.right.protocol === "ws:" || url.right.protocol === "wss:")
    ? Either.right(text)
    : Either.left("must be a ws:// or wss:// URL")
}

/** `WA_SERVER_CERT_ROOT`: base64 of exactly 32 bytes (a Curve25519 public key, as Baileys' `WA_CERT_DETAILS.PUBLIC_KEY`). */
export const parseCertRoot = (text: string): Either.Either<Uint8Array, string> => {
  const trimmed = text.trim()
  const bytes = Buffer.from(trimmed, "base64")
  return /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) && bytes.length === 32 && bytes.toString("base64") === trimmed
    ? Either.right(new Uint8Array(bytes))
    : Either.left("must be the base64 of a 32-byte public key")
}
