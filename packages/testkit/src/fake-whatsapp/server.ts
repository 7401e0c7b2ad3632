/**
 * The fake WhatsApp server: a WebSocket server on loopback that a real, unpatched Baileys client pairs with
 * and logs in to (`waWebSocketUrl` = `url`, `WA_CERT_DETAILS.PUBLIC_KEY` = the `certRoot` bytes).
 */
import { randomBytes } from "node:crypto"
import { getBinaryNodeChild, getBinaryNodeChildBuffer, jidDecode, type BinaryNode, type KeyPair } from "@whiskeysockets/baileys"
import { Effect, type Scope } from "effect"
import { WebSocketServer } from "ws"
import { sameBytes } from "./bytes.js"
import { makeTestCertificateChain } from "./certificates.js"
import { FakeConnection, type ClientIntent, type Login } from "./connection.js"
import { deviceHandle, overlapMessage, type FakeDevice } from "./device.js"
import { FakeWhatsAppError } from "./errors.js"
import { PendingPairing, PendingPairings } from "./pairings.js"
import { makeSimulatedPhone, type SimulatedPhone } from "./phone.js"
import { answerQuery } from "./queries.js"
import { isPhoneNumber, Registry, type DeviceRecord } from "./registry.js"
import { iqError, linkCodeHelloResult, loginFailure, loginSuccess, offlineDone, pairDevice, streamReplaced } from "./stanzas.js"

export interface FakeWhatsAppOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string
  /** Default 0: a free port. */
  readonly port?: number
  /** QR refs sent to a new device (default 6). Baileys shows the first 60 s and each later one 20 s (its `qrTimeout` option changes both), then closes with 408. */
  readonly qrRefs?: number
  /** The answer to the client's pre-key count (default 812): at or below 5 the client uploads 812 pre-keys at every login. */
  readonly preKeyCount?: number
  /** After a stream error or a refused login, how long the client has to close its socket first (default 2000 ms). */
  readonly closeGraceMs?: number
  /** How long the phone waits for each answer of the client (default 10 000 ms). */
  readonly timeoutMs?: number
  /** `<platform name>` in pair-success (default `android`). */
  readonly platform?: string
  /** The certificate root; default: a key pair generated for this server. */
  readonly certificateRoot?: KeyPair
  /** Receives one line per protocol event (connections, pairings, logins, closes). */
  readonly log?: (line: string) => void
}

export interface PendingPairingInfo {
  readonly connectionId: number
  /** The refs sent in `pair-device`: the first part of each QR the client shows, in order. */
  readonly refs: ReadonlyArray<string>
  readonly startedAt: Date
  /** The phone number a pairing code was requested for, if one was. */
  readonly codeRequestedFor: string | undefined
}

export interface FakeWhatsApp {
  /** `ws://127.0.0.1:<port>/ws/chat`: the client's `waWebSocketUrl`, our `WA_SERVER_URL`. */
  readonly url: string
  /** Base64 of the certificate root's 32-byte public key: `WA_CERT_DETAILS.PUBLIC_KEY`, our `WA_SERVER_CERT_ROOT`. */
  readonly certRoot: string
  readonly phone: SimulatedPhone
  /** Every device ever linked, in the order they were linked. */
  readonly devices: ReadonlyArray<FakeDevice>
  /** A device by JID, LID or phone number (the number's latest device); throws `unknown_device`. */
  device(ref: string): FakeDevice
  findDevice(ref: string): FakeDevice | undefined
  /** Sockets of devices that are not linked yet (showing QR codes, maybe waiting for a code). */
  readonly pendingPairings: ReadonlyArray<PendingPairingInfo>
  /** Every socket the server accepted: open now, and in total. */
  readonly connections: { readonly open: number; readonly total: number }
  /** Throws if any device ever had two sockets open at once. */
  assertAtMostOneConnection(): void
  close(): Promise<void>
}

/** A fresh ref: opaque text without commas (the QR joins its parts with commas). */
const newRef = (): string => `2@${randomBytes(30).toString("base64")}`

export const startFakeWhatsApp = async (options: FakeWhatsAppOptions = {}): Promise<FakeWhatsApp> => {
  const log = options.log ?? (() => {})
  const qrRefs = options.qrRefs ?? 6
  const preKeyCount = options.preKeyCount ?? 812
  if (!Number.isInteger(qrRefs) || qrRefs < 1) throw new RangeError(`qrRefs: ${qrRefs} is not a positive count`)
  const certificates = makeTestCertificateChain(options.certificateRoot)
  const registry = new Registry()
  const pairings = new PendingPairings()
  const phone = makeSimulatedPhone(registry, pairings, {
    timeoutMs: options.timeoutMs ?? 10_000,
    platform: options.platform ?? "android"
  })
  const open = new Map<number, FakeConnection>()
  let nextConnectionId = 1

  const deviceOfConnection = (connectionId: number): DeviceRecord | undefined =>
    registry.all().find((d) => d.openConnections().some((c) => c.connection.id === connectionId))

  const onRegistration = (connection: FakeConnection, identityKey: Uint8Array): void => {
    const refs = Array.from({ length: qrRefs }, newRef)
    pairings.add(new PendingPairing(connection, refs, identityKey, new Date()))
    connection.send(pairDevice(connection.queryId(), refs))
    log(`connection ${connection.id}: new device, sent ${refs.length} QR refs`)
  }

  const onLogin = (connection: FakeConnection, login: Login): void => {
    const device = registry.byLogin(login.user, login.device)
    if (device === undefined) {
      log(`connection ${connection.id}: login of unknown device ${login.user}:${login.device} refused (401)`)
      void connection.end(loginFailure(401))
      return
    }
    const record = device.attach(connection, "login", connection.openedAt)
    const refuse = (code: number, why: string): void => {
      record.refusedWith = code
      log(`connection ${connection.id}: login of ${device.jid} refused (${code}, ${why})`)
      void connection.end(loginFailure(code))
    }
    if (!device.isLinked) return refuse(401, device.unlinked ?? "unlinked")
    // a linked device is known by the Noise key it paired with: a login naming it over another key is refused
    if (!sameBytes(connection.clientStaticKey, device.noiseKey)) return refuse(401, "another Noise key")
    if (device.account.banned) return refuse(403, "banned")
    if (device.refuseNextLogins > 0) {
      device.refuseNextLogins--
      return refuse(503, "refuseLogins")
    }
    // As WhatsApp does: a second login of a device replaces the older connection (440).
    for (const other of device.openConnections()) {
      if (other.connection.id !== connection.id) {
        log(`connection ${other.connection.id}: replaced by connection ${connection.id} (440)`)
        void other.connection.end(streamReplaced())
      }
    }
    connection.send(loginSuccess(device.lid))
    connection.send(offlineDone())
    device.loggedIn(record)
    log(`connection ${connection.id}: ${device.jid} logged in`)
  }

  const onLinkCode = (connection: FakeConnection, id: string, registration: BinaryNode): void => {
    const pairing = pairings.of(connection.id)
    const refuse = (why: string): void => {
      log(`connection ${connection.id}: ${registration.attrs.stage ?? "link code"} refused, ${why}`)
      connection.send(iqError(id, 400, "bad-request"))
    }
    if (pairing === undefined) return refuse("not a device waiting for pairing")
    switch (registration.attrs.stage) {
      case "companion_hello": {
        const phoneNumber = jidDecode(registration.attrs.jid)?.user
        const wrapped = getBinaryNodeChildBuffer(registration, "link_code_pairing_wrapped_companion_ephemeral_pub")
        if (phoneNumber === undefined || !isPhoneNumber(phoneNumber) || wrapped === undefined) return refuse("malformed companion_hello")
        const ref = newRef()
        pairings.codeRequested(pairing, { phoneNumber, wrappedCompanionEphemeralKey: Buffer.from(wrapped), ref, requestedAt: new Date() })
        connection.send(linkCodeHelloResult(id, ref))
        log(`connection ${connection.id}: pairing code requested for ${phoneNumber}`)
        return
      }
      case "companion_finish": {
        const wrappedKeyBundle = getBinaryNodeChildBuffer(registration, "link_code_pairing_wrapped_key_bundle")
        const companionIdentityKey = getBinaryNodeChildBuffer(registration, "companion_identity_public")
        const ref = getBinaryNodeChildBuffer(registration, "link_code_pairing_ref")
        if (wrappedKeyBundle === undefined || companionIdentityKey === undefined || ref === undefined) return refuse("malformed companion_finish")
        if (Buffer.from(ref).toString() !== pairing.codeRequest?.ref) return refuse("companion_finish for another ref")
        if (!pairing.companionFinished({ iqId: id, wrappedKeyBundle, companionIdentityKey })) {
          return refuse("no phone entered a code")
        }
        return
      }
      default:
        return refuse(`unknown stage ${registration.attrs.stage ?? "(none)"}`)
    }
  }

  const onNode = (connection: FakeConnection, node: BinaryNode): void => {
    if (node.tag !== "iq") return // acks, presence, unified_session: nothing to answer
    const id = node.attrs.id
    if (id === undefined || (node.attrs.type !== "get" && node.attrs.type !== "set")) return
    const linkCode = getBinaryNodeChild(node, "link_code_companion_reg")
    if (node.attrs.xmlns === "md" && linkCode !== undefined) return onLinkCode(connection, id, linkCode)
    if (node.attrs.xmlns === "md" && getBinaryNodeChild(node, "remove-companion-device") !== undefined) {
      // sock.logout(): the client removes itself, then closes with 401 on its own
      const device = deviceOfConnection(connection.id)
      if (device !== undefined) {
        device.unlinked ??= "logged_out_by_companion"
        log(`connection ${connection.id}: ${device.jid} logged out`)
      }
    }
    const answer = answerQuery(node, preKeyCount)
    if (answer !== undefined) connection.send(answer)
  }

  const onIdentified = (connection: FakeConnection, intent: ClientIntent): void => {
    if (connection.routingInfo !== undefined) {
      log(`connection ${connection.id}: intro with routing info (${connection.routingInfo.length} bytes)`)
    }
    if (intent.kind === "registration") onRegistration(connection, intent.identityKey)
    else onLogin(connection, intent)
  }

  const onClosed = (connection: FakeConnection): void => {
    open.delete(connection.id)
    pairings.remove(connection.id)
    for (const device of registry.all()) device.detach(connection.id)
    log(`connection ${connection.id}: closed`)
  }

  const server = new WebSocketServer({ host: options.host ?? "127.0.0.1", port: options.port ?? 0 })
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve)
    server.once("error", reject)
  })
  server.on("connection", (socket) => {
    const id = nextConnectionId++
    const settings = { certificates, closeGraceMs: options.closeGraceMs ?? 2_000, handshakeTimeoutMs: 20_000 }
    open.set(id, new FakeConnection(id, socket, settings, { onIdentified, onNode, onClosed, log }))
  })
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("the WebSocket server has no TCP address")
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address

  const findDevice = (ref: string): FakeDevice | undefined => {
    const record = registry.find(ref)
    return record === undefined ? undefined : deviceHandle(record, registry)
  }

  return {
    url: `ws://${host}:${address.port}/ws/chat`,
    certRoot: certificates.rootPublicKeyBase64,
    phone,
    get devices() {
      return registry.all().map((record) => deviceHandle(record, registry))
    },
    device: (ref) => {
      const device = findDevice(ref)
      if (device === undefined) throw new FakeWhatsAppError("unknown_device", `no device ${ref}`)
      return device
    },
    findDevice,
    get pendingPairings() {
      return pairings.list().map((p) => ({
        connectionId: p.connection.id,
        refs: p.refs,
        startedAt: p.startedAt,
        codeRequestedFor: p.codeRequest?.phoneNumber
      }))
    },
    get connections() {
      return { open: open.size, total: nextConnectionId - 1 }
    },
    assertAtMostOneConnection: () => {
      const failing = registry.all().filter((d) => d.overlaps.length > 0)
      if (failing.length > 0) throw new Error(failing.map((d) => overlapMessage(d.jid, d.overlaps)).join("\n"))
    },
    close: async () => {
      await Promise.all([...open.values()].map((connection) => connection.drop()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** The fake as a scoped resource: closed when the scope closes. */
export const fakeWhatsApp = (options?: FakeWhatsAppOptions): Effect.Effect<FakeWhatsApp, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => startFakeWhatsApp(options)),
    (fake) => Effect.promise(() => fake.close())
  )
