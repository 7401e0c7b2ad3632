import { type Context, Effect } from "effect"
import type { SessionRecord } from "@wa-gateway/domain"
import type { SessionSupervisor } from "../engine/session-supervisor.js"
import type { SessionView } from "./gateway.js"

/**
 * The read model with the runtime `connected` flag merged in. Only a paired
 * session can be connected: a socket the engine still reports for anything
 * else is on its way out.
 */
export const toSessionView = (supervisor: Context.Tag.Service<SessionSupervisor>) => (record: SessionRecord): Effect.Effect<SessionView> =>
  Effect.map(supervisor.isConnected(record.sessionId), (connected) => ({
    ...record,
    connected: connected && record.status === "paired"
  }))
