import { Cause, Option } from "effect"
import { type GatewayErrorCode, type GatewayFailure, rowOf } from "./error-table.js"

/** How `createGateway`'s promises reject: a stable `code` to branch on, the internal `reason` for logs. */
export class GatewayOperationError extends Error {
  override readonly name = "GatewayOperationError"
  readonly code: GatewayErrorCode | "internal"
  /** The internal error's tag (e.g. `AlreadyPaired`, `PhoneActionRejected`). */
  readonly reason: string

  constructor(code: GatewayErrorCode | "internal", reason: string, message: string, options?: { readonly cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.reason = reason
  }
}

/** A failure of the gateway becomes its row of the error table; anything else (a defect, an interruption) is `internal`. */
export const toGatewayOperationError = (cause: Cause.Cause<GatewayFailure | GatewayOperationError>): GatewayOperationError => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const error = failure.value
    if (error instanceof GatewayOperationError) return error
    const row = rowOf(error)
    return new GatewayOperationError(row.code, error._tag, row.describe(error).message, { cause: error })
  }
  return new GatewayOperationError("internal", "Defect", "internal error", { cause: Cause.squash(cause) })
}
