/** Why a phone action of the fake failed; the control API maps each reason to one HTTP status. */
export type FakeWhatsAppErrorReason =
  | "invalid_qr"
  | "no_pending_qr"
  | "invalid_code"
  | "no_pending_code"
  | "wrong_code"
  | "invalid_phone_number"
  | "pairing_in_progress"
  | "pairing_refused"
  | "unknown_device"
  | "timeout"

export class FakeWhatsAppError extends Error {
  override readonly name = "FakeWhatsAppError"

  constructor(
    readonly reason: FakeWhatsAppErrorReason,
    message: string
  ) {
    super(message)
  }
}
