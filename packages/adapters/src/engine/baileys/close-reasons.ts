import { Data, Option, Schema } from "effect"
import type { DisconnectCause } from "@wa-gateway/domain"
import { isCertificateRefusal } from "./certificate-check.js"

/**
 * Why a Baileys socket closed, read from `connection.update`'s
 * `lastDisconnect.error` (a Boom whose `output.statusCode` is WhatsApp's
 * close code, Baileys' `DisconnectReason`).
 */
export type CloseReason = Data.TaggedEnum<{
  /** 515: WhatsApp's normal restart, right after pairing. */
  RestartRequired: {}
  /** 401: logged out, or the phone removed the device (also our own `logout`). */
  LoggedOut: {}
  /** 403: the account may not use this client. */
  Forbidden: {}
  /** 440: another connection with the same creds took over. */
  Replaced: {}
  /** 408 "QR refs attempts ended": every QR the server sent has expired. */
  QrRefsEnded: {}
  /** 400 from the Noise handshake: the server's certificate chain did not verify. */
  CertificateRefused: {}
  /** 408 / 428 / 500 / 503, or a network error: worth trying again later. */
  Transient: { readonly code: number | null; readonly cause: DisconnectCause }
  /** 411 (multi-device mismatch) and anything else: reported, tried again later. */
  Unknown: { readonly code: number | null }
}>
export const CloseReason = Data.taggedEnum<CloseReason>()

/** What we read of Baileys' error: a Boom, an Error, or anything at all. */
const BoomLike = Schema.Struct({
  message: Schema.optional(Schema.String),
  output: Schema.optional(Schema.Struct({ statusCode: Schema.Number }))
})

/** The close code and message of `lastDisconnect.error`, whatever it is. */
export const closeCodeOf = (error: unknown): { readonly code: number | null; readonly message: string } =>
  Option.match(Schema.decodeUnknownOption(BoomLike)(error), {
    onNone: () => ({ code: null, message: "" }),
    onSome: (boom) => ({ code: boom.output?.statusCode ?? null, message: boom.message ?? "" })
  })

/** Baileys' own words for the end of the QR refs (`Socket/socket.js`, `genPairQR`). */
const QR_REFS_ENDED = "QR refs attempts ended"

export const closeReasonOf = (error: unknown): CloseReason => {
  const { code, message } = closeCodeOf(error)
  switch (code) {
    case 515:
      return CloseReason.RestartRequired()
    case 401:
      return CloseReason.LoggedOut()
    case 403:
      return CloseReason.Forbidden()
    case 440:
      return CloseReason.Replaced()
    case 400:
      return isCertificateRefusal(message) ? CloseReason.CertificateRefused() : CloseReason.Unknown({ code })
    // 408 is both Baileys' timedOut (QR refs ended, a query timing out) and
    // connectionLost (keep-alive, ETIMEDOUT, ECONNREFUSED: `getCodeFromWSError`).
    case 408:
      return message.includes(QR_REFS_ENDED) ? CloseReason.QrRefsEnded() : CloseReason.Transient({ code, cause: "timed_out" })
    case 428:
      return CloseReason.Transient({ code, cause: "connection_lost" })
    case 500:
      return CloseReason.Transient({ code, cause: "bad_session" })
    case 503:
      return CloseReason.Transient({ code, cause: "unavailable" })
    // No status code: a plain Error from the transport.
    case null:
      return CloseReason.Transient({ code, cause: "connection_lost" })
    default:
      return CloseReason.Unknown({ code })
  }
}

/** The cause the API and webhooks report for a reason. */
export const disconnectCauseOf = (reason: CloseReason): DisconnectCause =>
  CloseReason.$match(reason, {
    RestartRequired: (): DisconnectCause => "restart_required",
    LoggedOut: (): DisconnectCause => "logged_out",
    Forbidden: (): DisconnectCause => "forbidden",
    Replaced: (): DisconnectCause => "replaced",
    QrRefsEnded: (): DisconnectCause => "pairing_ended",
    CertificateRefused: (): DisconnectCause => "unavailable",
    Transient: ({ cause }) => cause,
    Unknown: (): DisconnectCause => "unknown"
  })
