import { Cause, Option } from "effect"

/** The codes of spec/API.md's error table that a gateway operation can answer. */
export type GatewayErrorCode = "validation_error" | "not_found" | "conflict" | "not_implemented" | "unavailable" | "internal"

/** How `createGateway`'s promises reject: a stable `code` to branch on, the internal `reason` for logs. */
export class GatewayOperationError extends Error {
  override readonly name = "GatewayOperationError"
  readonly code: GatewayErrorCode
  /** The internal error's tag (e.g. `AlreadyPaired`, `PhoneActionRejected`). */
  readonly reason: string

  constructor(code: GatewayErrorCode, reason: string, message: string, options?: { readonly cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.reason = reason
  }
}

const describe = (error: { readonly _tag: string; readonly message?: unknown }): [GatewayErrorCode, string] => {
  switch (error._tag) {
    case "SessionNotFound":
      return ["not_found", "session not found"]
    case "AlreadyPaired":
      return ["validation_error", "the session is already paired"]
    case "NotPaired":
      return ["validation_error", "the session is not paired"]
    case "InvalidPhone":
      return ["validation_error", "phone must be 8–15 digits, international format, without a leading +"]
    case "PhoneActionRejected":
      return ["validation_error", typeof error.message === "string" ? error.message : "the phone's action was refused"]
    case "ConcurrencyConflict":
      return ["conflict", "the session was modified concurrently; retry"]
    case "StoreUnavailable":
      return ["unavailable", "the store is unavailable; retry later"]
    case "EngineUnavailable":
      return ["unavailable", "the WhatsApp engine is unavailable; retry later"]
    case "EngineNotImplemented":
      return ["not_implemented", "the running engine cannot do this"]
    default:
      return ["internal", "internal error"]
  }
}

const isTagged = (u: unknown): u is { readonly _tag: string; readonly message?: unknown } =>
  typeof u === "object" && u !== null && "_tag" in u && typeof u._tag === "string"

/** A typed failure becomes its code; anything else (a defect, an interruption) is `internal`. */
export const toGatewayOperationError = (cause: Cause.Cause<unknown>): GatewayOperationError => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const error = failure.value
    if (error instanceof GatewayOperationError) return error
    if (isTagged(error)) {
      const [code, message] = describe(error)
      return new GatewayOperationError(code, error._tag, message, { cause: error })
    }
  }
  return new GatewayOperationError("internal", "Defect", "internal error", { cause: Cause.squash(cause) })
}
