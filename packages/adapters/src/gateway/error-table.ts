import type {
  AlreadyPaired,
  ConcurrencyConflict,
  EngineNotImplemented,
  EngineUnavailable,
  InvalidPhone,
  NotPaired,
  NotPairing,
  OwnershipLost,
  SessionExists,
  SessionNotFound,
  StalePairingAttempt,
  StoreUnavailable,
  VersionConflict
} from "@wa-gateway/domain"
import type { PhoneActionRejected } from "../engine/simulator/simulated-phone.js"
import type { InvalidWebhookSessions, WebhookNotFound } from "../webhooks/errors.js"
import type { SubscriberTooSlow } from "../webhooks/event-feed.js"

/** Every failure the domain, the stores, the engines and the gateway report to a caller. */
export type GatewayFailure =
  | SessionNotFound
  | SessionExists
  | AlreadyPaired
  | NotPaired
  | NotPairing
  | StalePairingAttempt
  | InvalidPhone
  | ConcurrencyConflict
  | VersionConflict
  | StoreUnavailable
  | OwnershipLost
  | EngineUnavailable
  | EngineNotImplemented
  | PhoneActionRejected
  | WebhookNotFound
  | InvalidWebhookSessions
  | SubscriberTooSlow

/** The codes of spec/API.md's error table that a gateway failure can become. */
export type GatewayErrorCode = "validation_error" | "not_found" | "conflict" | "not_implemented" | "unavailable"

/** What a caller is told: never an internal name, SQL or a stack. */
export interface FailureDescription {
  readonly message: string
  readonly details: Readonly<Record<string, unknown>>
}

interface Row<E> {
  readonly code: GatewayErrorCode
  readonly describe: (error: E) => FailureDescription
  /** The server-side reason, for the log only; absent for a caller's mistake. */
  readonly serverSide?: (error: E) => string
}

const said = (message: string, details: Readonly<Record<string, unknown>> = {}) => (): FailureDescription => ({ message, details })

const phoneActionMessages: { readonly [Reason in PhoneActionRejected["reason"]]: string } = {
  no_qr_showing: "no QR code is showing for this session",
  no_code_pending: "no pairing code was issued for this session",
  wrong_code: "the pairing code is wrong or expired",
  not_linked: "the session is not linked to this phone"
}

/**
 * The one mapping from a failure to spec/API.md's error table, for the HTTP
 * envelope and for `createGateway`'s rejections alike.
 */
export const errorTable = {
  SessionNotFound: { code: "not_found", describe: said("session not found") },
  SessionExists: { code: "conflict", describe: said("a session with this id already exists") },
  AlreadyPaired: { code: "validation_error", describe: said("the session is already paired", { status: "paired" }) },
  NotPaired: { code: "validation_error", describe: said("the session is not paired") },
  NotPairing: { code: "validation_error", describe: said("the session is not pairing") },
  StalePairingAttempt: { code: "validation_error", describe: said("that pairing attempt is no longer the current one") },
  InvalidPhone: {
    code: "validation_error",
    describe: said("phone must be 8–15 digits, international format, without a leading +", { field: "phone" })
  },
  ConcurrencyConflict: { code: "conflict", describe: said("the session was modified concurrently; retry the request") },
  VersionConflict: { code: "conflict", describe: said("the session was modified concurrently; retry the request") },
  StoreUnavailable: {
    code: "unavailable",
    describe: said("the store is unavailable; retry later"),
    serverSide: (error: StoreUnavailable) => error.message
  },
  OwnershipLost: {
    code: "unavailable",
    describe: said("the session moved to another gateway process; retry"),
    serverSide: (error: OwnershipLost) => `a write of session ${error.sessionId} carried the stale fence ${error.fence}`
  },
  EngineUnavailable: {
    code: "unavailable",
    // The engine's reason is written for the caller (e.g. "server certificate chain refused").
    describe: (error: EngineUnavailable) => ({ message: `the WhatsApp engine is unavailable: ${error.message}; retry later`, details: {} }),
    serverSide: (error: EngineUnavailable) => error.message
  },
  EngineNotImplemented: {
    code: "not_implemented",
    describe: said("the running engine cannot do this"),
    serverSide: (error: EngineNotImplemented) => `${error.operation} is not available in this build`
  },
  PhoneActionRejected: {
    code: "validation_error",
    describe: (error: PhoneActionRejected) => ({ message: phoneActionMessages[error.reason], details: { reason: error.reason } })
  },
  WebhookNotFound: { code: "not_found", describe: said("webhook not found") },
  InvalidWebhookSessions: {
    code: "validation_error",
    describe: (error: InvalidWebhookSessions) => ({
      message: "sessionIds must name sessions of your organization",
      details: { field: "sessionIds", sessionId: error.sessionId }
    })
  },
  SubscriberTooSlow: {
    code: "unavailable",
    describe: said("the subscriber fell too far behind and was cut off; subscribe again after the last position seen")
  }
} as const satisfies { readonly [Tag in GatewayFailure["_tag"]]: Row<Extract<GatewayFailure, { readonly _tag: Tag }>> }

export type ErrorTable = typeof errorTable

/** The row of a failure, typed for its tag. */
export const rowOf = <E extends GatewayFailure>(error: E): Row<E> =>
  // The table is checked entry by entry above; this lookup only restores the per-tag type.
  errorTable[error._tag] as Row<E>
