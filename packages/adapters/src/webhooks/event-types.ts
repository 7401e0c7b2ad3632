import { Schema } from "effect"
import type { SessionEvent } from "@wa-gateway/domain"

// The event types of spec/EVENTS.md, as webhooks and SSE name them.

/** The session events of the log, by their stored type. */
export const logEventTypes = {
  SessionCreated: "session.created",
  PairingStarted: "session.pairing_started",
  SessionPaired: "session.paired",
  PairingFailed: "session.pairing_failed",
  LoggedOut: "session.logged_out",
  SessionDeleted: "session.deleted"
} as const satisfies { readonly [Tag in SessionEvent["_tag"]]: `session.${string}` }

export type LogEventType = (typeof logEventTypes)[SessionEvent["_tag"]]

export const ConnectionEventType = Schema.Literal("session.connected", "session.disconnected")
export type ConnectionEventType = typeof ConnectionEventType.Type

/** Delivered at least once, across restarts: the log's six and the recorded connection changes. */
export const DurableEventType = Schema.Literal(
  "session.created",
  "session.pairing_started",
  "session.paired",
  "session.pairing_failed",
  "session.logged_out",
  "session.deleted",
  "session.connected",
  "session.disconnected"
)
export type DurableEventType = typeof DurableEventType.Type

/** What a subscription may ask for: the durable types and the opt-in, live-only `session.qr`. */
export const SubscribableEventType = Schema.Literal(...DurableEventType.literals, "session.qr")
export type SubscribableEventType = typeof SubscribableEventType.Type

/** Every type a payload can carry; `webhook.test` reaches a subscription whatever its filter. */
export type EventType = SubscribableEventType | "webhook.test"

/** A subscription's default: every durable type (never `session.qr`, which carries a pairing secret). */
export const defaultEventTypes: ReadonlyArray<SubscribableEventType> = DurableEventType.literals

export const isSubscribableEventType = Schema.is(SubscribableEventType)

// The two lists must agree: the log's types are durable ones.
const logTypesAreDurable: LogEventType extends DurableEventType ? true : never = true
void logTypesAreDurable
