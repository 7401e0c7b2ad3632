/**
 * The typed handle on one linked device, as the phone and WhatsApp's servers can act on it: unlink it,
 * replace its connection, drop it, ban the account, refuse its next logins; and what the fake saw of its
 * sockets.
 */
import type { BinaryNode } from "@whiskeysockets/baileys"
import { FakeWhatsAppError } from "./errors.js"
import type { ConnectionOverlap, ConnectionRecord, DeviceRecord, Registry } from "./registry.js"
import { streamDeviceRemoved, streamError, streamReplaced } from "./stanzas.js"

export interface FakeDevice {
  /** `<phone>:<device>@s.whatsapp.net`: what the client reports as `creds.me.id`. */
  readonly jid: string
  /** `<lid>:<device>@lid`: `creds.me.lid`. */
  readonly lid: string
  readonly phoneNumber: string
  readonly deviceId: number
  /** The name given at pairing (`<biz name>`), `creds.me.name` on the client. */
  readonly pushName: string | undefined
  /** False once the phone unlinked it or the client logged out: its logins are refused with 401. */
  readonly linked: boolean
  readonly banned: boolean
  /** Sockets of this device open right now. */
  readonly openConnections: number
  /** Every socket that was this device's: the one it paired on and every login, accepted or refused. */
  readonly totalConnections: number
  /** Accepted logins. */
  readonly logins: number
  readonly connections: ReadonlyArray<Readonly<ConnectionRecord>>
  /** Each moment two or more sockets of this device were open at once, recorded when it happened. */
  readonly overlaps: ReadonlyArray<ConnectionOverlap>
  /** The phone removes the device: its socket closes with 401 (`<conflict type=device_removed>`), later logins get 401. */
  unlink(): Promise<void>
  /** WhatsApp replaces the connection: its socket closes with 440 (`<conflict type=replaced>`); the device stays linked. */
  replace(): Promise<void>
  /** The TCP connection closes without a stream error (a network drop). */
  dropConnection(): Promise<void>
  /** The account is banned: its open sockets close with 403, its logins are refused with 403. */
  ban(): Promise<void>
  /** The next `count` logins of this device are refused with 503. */
  refuseLogins(count: number): void
  /**
   * Resolves while a logged-in socket of this device is open (now, or at its next accepted login); with
   * `count`, once the device has had that many accepted logins (e.g. 2 after a gateway restart). Rejects with
   * `timeout` after `timeoutMs` (default 10 000).
   */
  waitForLogin(options?: { readonly timeoutMs?: number; readonly count?: number }): Promise<void>
  /** Throws if this device ever had two sockets open at the same time. */
  assertAtMostOneConnection(): void
}

const describeOverlap = (overlap: ConnectionOverlap): string =>
  `connections ${overlap.connectionIds.join(" and ")} at ${overlap.at.toISOString()}`

export const overlapMessage = (jid: string, overlaps: ReadonlyArray<ConnectionOverlap>): string =>
  `device ${jid} had ${overlaps.length === 1 ? "two sockets" : "several sockets"} open at once: ${overlaps.map(describeOverlap).join("; ")}`

export const deviceHandle = (record: DeviceRecord, registry: Registry): FakeDevice => {
  const endAll = (lastNode: () => BinaryNode, of: DeviceRecord = record): Promise<void> =>
    Promise.all(of.openConnections().map(({ connection }) => connection.end(lastNode()))).then(() => undefined)
  return {
    jid: record.jid,
    lid: record.lid,
    phoneNumber: record.account.phoneNumber,
    deviceId: record.deviceId,
    pushName: record.pushName,
    get linked() {
      return record.isLinked
    },
    get banned() {
      return record.account.banned
    },
    get openConnections() {
      return record.openConnections().length
    },
    get totalConnections() {
      return record.connections.length
    },
    get logins() {
      return record.logins
    },
    get connections() {
      return record.connections.map((c) => ({ ...c }))
    },
    get overlaps() {
      return [...record.overlaps]
    },
    unlink: () => {
      record.unlinked ??= "unlinked_by_phone"
      return endAll(streamDeviceRemoved)
    },
    replace: () => endAll(streamReplaced),
    dropConnection: () => Promise.all(record.openConnections().map(({ connection }) => connection.drop())).then(() => undefined),
    ban: () => {
      record.account.banned = true
      return Promise.all(registry.ofAccount(record.account).map((device) => endAll(() => streamError(403), device))).then(() => undefined)
    },
    refuseLogins: (count) => {
      if (!Number.isInteger(count) || count < 0) throw new RangeError(`refuseLogins: ${count} is not a count`)
      record.refuseNextLogins = count
    },
    waitForLogin: async ({ timeoutMs = 10_000, count } = {}) => {
      const reached = count === undefined
        ? () => record.openConnections().some(({ record: c }) => c.loggedIn)
        : () => record.logins >= count
      if (!(await record.untilLogin(reached, timeoutMs))) {
        const what = count === undefined ? "no logged-in socket" : `${record.logins} of ${count} logins`
        throw new FakeWhatsAppError("timeout", `${record.jid}: ${what} after ${timeoutMs} ms`)
      }
    },
    assertAtMostOneConnection: () => {
      if (record.overlaps.length > 0) throw new Error(overlapMessage(record.jid, record.overlaps))
    }
  }
}
