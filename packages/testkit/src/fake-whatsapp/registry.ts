/**
 * What the fake remembers: accounts (one per phone number, with the identity key that signs its linked
 * devices and a LID) and their linked devices (the Noise key a device logs in with, whether it is still
 * linked), and every connection of every device, recorded as it opens and closes.
 */
import { randomInt } from "node:crypto"
import { Curve, type BinaryNode, type KeyPair } from "@whiskeysockets/baileys"

export interface Account {
  readonly phoneNumber: string
  /** The user part of the account's LID (`<lid>@lid`). */
  readonly lidUser: string
  /** The phone's identity key: it signs each linked device (`accountSignatureKey`). */
  readonly identity: KeyPair
  pushName: string | undefined
  banned: boolean
  nextDeviceId: number
}

/** A socket as the registry sees it: something it can end with a last node, or drop. */
export interface LiveConnection {
  readonly id: number
  end(lastNode?: BinaryNode): Promise<void>
  drop(): Promise<void>
}

export type ConnectionKind = "pairing" | "login"

export interface ConnectionRecord {
  readonly connectionId: number
  /** `pairing`: the socket the device was linked on (it closes with 515); `login`: a login with this device. */
  readonly kind: ConnectionKind
  readonly openedAt: Date
  closedAt: Date | undefined
  /** True once the login was accepted (`<success>`). */
  loggedIn: boolean
  /** When the login was accepted. */
  loggedInAt: Date | undefined
  /** The code the login was refused with (`<failure reason>`), if it was. */
  refusedWith: number | undefined
}

/** Two or more sockets of one device open at the same moment. */
export interface ConnectionOverlap {
  readonly at: Date
  readonly connectionIds: ReadonlyArray<number>
}

/** A linked device's addresses: `<pn>:<n>@s.whatsapp.net` and `<lid>:<n>@lid`. */
export const deviceAddresses = (account: Account, deviceId: number): { readonly jid: string; readonly lid: string } => ({
  jid: `${account.phoneNumber}:${deviceId}@s.whatsapp.net`,
  lid: `${account.lidUser}:${deviceId}@lid`
})

export type UnlinkCause = "unlinked_by_phone" | "logged_out_by_companion"

export class DeviceRecord {
  readonly jid: string
  readonly lid: string
  unlinked: UnlinkCause | undefined
  /** How many of the next logins to refuse with 503. */
  refuseNextLogins = 0
  readonly connections: Array<ConnectionRecord> = []
  readonly overlaps: Array<ConnectionOverlap> = []
  private readonly live = new Map<number, { readonly connection: LiveConnection; readonly record: ConnectionRecord }>()
  private readonly loginListeners = new Set<() => void>()

  constructor(
    readonly account: Account,
    readonly deviceId: number,
    /** The companion's static Noise key: a login must come over a handshake with this key. */
    readonly noiseKey: Uint8Array,
    readonly identityKey: Uint8Array,
    /** The name the phone gave at pairing (`<biz name>`). */
    readonly pushName: string | undefined
  ) {
    const { jid, lid } = deviceAddresses(account, deviceId)
    this.jid = jid
    this.lid = lid
  }

  /** Records a socket of this device; an overlap is recorded right now if another one is still open. */
  attach(connection: LiveConnection, kind: ConnectionKind, openedAt: Date): ConnectionRecord {
    const record: ConnectionRecord = { connectionId: connection.id, kind, openedAt, closedAt: undefined, loggedIn: false, loggedInAt: undefined, refusedWith: undefined }
    this.connections.push(record)
    this.live.set(connection.id, { connection, record })
    if (this.live.size > 1) this.overlaps.push({ at: new Date(), connectionIds: [...this.live.keys()] })
    return record
  }

  detach(connectionId: number): void {
    const entry = this.live.get(connectionId)
    if (entry === undefined) return
    entry.record.closedAt = new Date()
    this.live.delete(connectionId)
  }

  loggedIn(record: ConnectionRecord): void {
    record.loggedIn = true
    record.loggedInAt = new Date()
    for (const wake of [...this.loginListeners]) wake()
  }

  get logins(): number {
    return this.connections.filter((c) => c.loggedIn).length
  }

  /** Resolves once `reached()` holds, checked now and after every accepted login; false after `timeoutMs`. */
  untilLogin(reached: () => boolean, timeoutMs: number): Promise<boolean> {
    if (reached()) return Promise.resolve(true)
    return new Promise((resolve) => {
      const settle = (outcome: boolean): void => {
        clearTimeout(timer)
        this.loginListeners.delete(wake)
        resolve(outcome)
      }
      const wake = (): void => {
        if (reached()) settle(true)
      }
      const timer = setTimeout(() => settle(false), timeoutMs)
      this.loginListeners.add(wake)
    })
  }

  openConnections(): ReadonlyArray<{ readonly connection: LiveConnection; readonly record: ConnectionRecord }> {
    return [...this.live.values()]
  }

  get isLinked(): boolean {
    return this.unlinked === undefined
  }
}

const PHONE_NUMBER = /^\d{8,15}$/

export const isPhoneNumber = (text: string): boolean => PHONE_NUMBER.test(text)

export class Registry {
  private readonly accounts = new Map<string, Account>()
  private readonly lidUsers = new Set<string>()
  private readonly devices: Array<DeviceRecord> = []

  /** The account of a phone number, created the first time the phone is used. */
  accountFor(phoneNumber: string): Account {
    const known = this.accounts.get(phoneNumber)
    if (known !== undefined) return known
    const account: Account = {
      phoneNumber,
      lidUser: this.newLidUser(),
      identity: Curve.generateKeyPair(),
      pushName: undefined,
      banned: false,
      nextDeviceId: 1
    }
    this.accounts.set(phoneNumber, account)
    return account
  }

  addDevice(account: Account, deviceId: number, noiseKey: Uint8Array, identityKey: Uint8Array, pushName: string | undefined): DeviceRecord {
    const device = new DeviceRecord(account, deviceId, noiseKey, identityKey, pushName)
    this.devices.push(device)
    return device
  }

  /** The device a login names (`username`, `device`), linked or not. */
  byLogin(user: string, deviceId: number): DeviceRecord | undefined {
    return this.devices.find((d) => d.account.phoneNumber === user && d.deviceId === deviceId)
  }

  /**
   * A device by its JID (`<pn>:<n>@s.whatsapp.net`), its LID (`<lid>:<n>@lid`) or its phone number (the
   * number's most recently linked device, preferring one that is still linked).
   */
  find(ref: string): DeviceRecord | undefined {
    const byJid = this.devices.find((d) => d.jid === ref || d.lid === ref)
    if (byJid !== undefined) return byJid
    const ofNumber = this.devices.filter((d) => d.account.phoneNumber === ref).reverse()
    return ofNumber.find((d) => d.isLinked) ?? ofNumber[0]
  }

  all(): ReadonlyArray<DeviceRecord> {
    return [...this.devices]
  }

  ofAccount(account: Account): ReadonlyArray<DeviceRecord> {
    return this.devices.filter((d) => d.account === account)
  }

  private newLidUser(): string {
    for (;;) {
      // LIDs are opaque numbers of about 15 digits, unrelated to the phone number.
      const candidate = String(randomInt(10 ** 13, 10 ** 14)) + String(randomInt(0, 10))
      if (!this.lidUsers.has(candidate)) {
        this.lidUsers.add(candidate)
        return candidate
      }
    }
  }
}
