// The one module of ours that imports Baileys. Baileys is ESM-only and keeps
// state in its module (`Curve`, `WA_CERT_DETAILS`): every socket and the
// certificate verifier must use one module instance, and importing it by this
// one path from this one place guarantees that.
export {
  BufferJSON,
  Curve,
  initAuthCreds,
  makeCacheableSignalKeyStore,
  makeNoiseHandler,
  makeWASocket,
  NOISE_WA_HEADER,
  proto,
  WA_CERT_DETAILS
} from "@whiskeysockets/baileys"
export type {
  AuthenticationCreds,
  AuthenticationState,
  BaileysEventMap,
  ConnectionState,
  KeyPair,
  SignalDataSet,
  SignalDataTypeMap,
  SignalKeyStore,
  UserFacingSocketConfig
} from "@whiskeysockets/baileys"

import type { UserFacingSocketConfig } from "@whiskeysockets/baileys"
/** Baileys' logger interface (pino's shape), which its index does not export by name. */
export type BaileysLogger = NonNullable<UserFacingSocketConfig["logger"]>
