import { Context, Effect, Layer, Option } from "effect"
import type { SessionId } from "@wa-gateway/domain"
import {
  type AuthenticationCreds,
  type BaileysEventMap,
  type BaileysLogger,
  makeCacheableSignalKeyStore,
  makeWASocket,
  type SignalKeyStore
} from "./baileys.js"
import { installServerTrust } from "./certificate-check.js"
import { withSharedAsyncContext } from "./shared-async-context.js"
import type { WhatsAppServer } from "./whatsapp-server.js"

/** The two events of a Baileys socket the engine listens to. */
export type SocketEvents = Pick<BaileysEventMap, "connection.update" | "creds.update">

/**
 * What the engine uses of a Baileys socket (`makeWASocket`'s result has all
 * of it): tests hand the engine a fake with this surface.
 */
export interface WaSocket {
  readonly ev: {
    readonly on: <E extends keyof SocketEvents>(event: E, listener: (update: SocketEvents[E]) => void) => void
  }
  /** Only once the server asked for pairing (the first `qr`); answers 8 characters without a dash. */
  readonly requestPairingCode: (phoneNumber: string) => Promise<string>
  /** Unlinks the device on WhatsApp, then closes with 401. */
  readonly logout: (reason?: string) => Promise<void>
  /** Closes the socket (`connection.update` `close` follows), without logging out. */
  readonly end: (error: Error | undefined) => Promise<void>
}

/** One socket's settings: the session's creds (mutated in place by Baileys), its keys and its logger. */
export interface SocketConfig {
  readonly sessionId: SessionId
  readonly creds: AuthenticationCreds
  readonly keys: SignalKeyStore
  readonly logger: BaileysLogger
}

/** Makes the sockets of the Baileys engine. */
export class SocketFactory extends Context.Tag("wa-gateway/baileys/SocketFactory")<SocketFactory, {
  readonly open: (config: SocketConfig) => WaSocket
  /** What an operator must know about where the sockets connect and what they trust. */
  readonly warnings: ReadonlyArray<string>
}>() {}

/**
 * Real Baileys sockets: our auth state behind Baileys' key cache, our
 * logger, not shown online on connect (the phone keeps its notifications),
 * and no history sync (a gateway does not keep chats, and the client is
 * ready right after login instead of waiting for history). The verifier
 * and the certificate root are installed on Baileys' module for the
 * layer's lifetime.
 */
export const baileysSocketFactory = (server: WhatsAppServer): Layer.Layer<SocketFactory> =>
  Layer.scoped(SocketFactory, Effect.map(installServerTrust(server), (trustWarnings) => ({
    warnings: [
      ...Option.match(server.serverUrl, {
        onNone: () => [],
        onSome: (url) => [`WA_SERVER_URL is set: sessions connect to ${url}, not to WhatsApp; for test servers only`]
      }),
      ...trustWarnings
    ],
    // The socket's AsyncLocalStorage is a view on one shared storage: with one
    // of Node's own per socket, every promise in the process would cost more
    // with every socket ever made (shared-async-context.ts).
    open: ({ creds, keys, logger }) =>
      withSharedAsyncContext(() =>
        makeWASocket({
          ...Option.match(server.serverUrl, { onNone: () => ({}), onSome: (url) => ({ waWebSocketUrl: url }) }),
          auth: { creds, keys: makeCacheableSignalKeyStore(keys, logger) },
          logger,
          markOnlineOnConnect: false,
          syncFullHistory: false,
          shouldSyncHistoryMessage: () => false
        })
      )
  })))
