/**
 * One client socket of the fake: intro and framing, the Noise handshake, the client's payload (a new device
 * registering or a linked device logging in), then encrypted binary nodes both ways. Anything malformed from
 * the client closes this socket and nothing else.
 */
import { decodeBinaryNode, encodeBinaryNode, proto, type BinaryNode } from "@whiskeysockets/baileys"
import type { RawData, WebSocket } from "ws"
import type { TestCertificateChain } from "./certificates.js"
import { ClientFrameReader, encodeFrame } from "./frames.js"
import { NoiseResponder, type NoiseTransport } from "./noise.js"

/** A payload with `devicePairingData`: a device that is not linked yet asks to be. */
export interface Registration {
  readonly kind: "registration"
  /** The companion's identity key (`creds.signedIdentityKey.public`), also in its QR. */
  readonly identityKey: Uint8Array
}

/** A payload with `username` + `device`: a linked device (or what the client believes is one) logs in. */
export interface Login {
  readonly kind: "login"
  /** The phone number: Baileys sends `username` as a number, decoded as a Long. */
  readonly user: string
  readonly device: number
}

export type ClientIntent = Registration | Login

export interface ConnectionHandlers {
  /** The handshake is done; called once, with what the client asks for. */
  readonly onIdentified: (connection: FakeConnection, intent: ClientIntent) => void
  /** Every node after the handshake that is not the answer to one of this connection's queries. */
  readonly onNode: (connection: FakeConnection, node: BinaryNode) => void
  readonly onClosed: (connection: FakeConnection) => void
  readonly log: (line: string) => void
}

export interface ConnectionSettings {
  readonly certificates: TestCertificateChain
  /** After the server's last node (a stream error, a failure), how long the client has to close first. */
  readonly closeGraceMs: number
  /** A client that has not finished the handshake by then is disconnected. */
  readonly handshakeTimeoutMs: number
}

type State = "hello" | "finish" | "open" | "closing" | "closed"

interface PendingQuery {
  readonly resolve: (node: BinaryNode) => void
  readonly reject: (error: Error) => void
  readonly timer: NodeJS.Timeout
}

class ConnectionClosed extends Error {
  override readonly name = "ConnectionClosed"
}

const toBytes = (data: RawData): Uint8Array =>
  Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data

const intentOf = (payload: proto.ClientPayload): ClientIntent | undefined => {
  if (payload.devicePairingData) {
    const identityKey = payload.devicePairingData.eIdent
    return identityKey?.length === 32 ? { kind: "registration", identityKey } : undefined
  }
  if (payload.username === null || payload.username === undefined) return undefined
  const user = String(payload.username)
  return /^\d+$/.test(user) ? { kind: "login", user, device: payload.device ?? 0 } : undefined
}

export class FakeConnection {
  readonly openedAt = new Date()
  /** The client's static Noise key, known once the handshake is done: it identifies a linked device. */
  clientStaticKey: Uint8Array | undefined
  /** Routing info from an `ED 00 01` intro, if the client sent one. */
  routingInfo: Uint8Array | undefined
  readonly closed: Promise<void>

  private state: State = "hello"
  private readonly reader = new ClientFrameReader()
  private responder: NoiseResponder | undefined
  private transport: NoiseTransport | undefined
  private inbox: Promise<void> = Promise.resolve()
  private readonly pending = new Map<string, PendingQuery>()
  private nextQueryId = 1
  private closeTimer: NodeJS.Timeout | undefined
  private readonly handshakeTimer: NodeJS.Timeout
  private markClosed: () => void = () => {}

  constructor(
    readonly id: number,
    private readonly socket: WebSocket,
    private readonly settings: ConnectionSettings,
    private readonly handlers: ConnectionHandlers
  ) {
    this.closed = new Promise((resolve) => (this.markClosed = resolve))
    this.handshakeTimer = setTimeout(() => this.fail("handshake not finished in time"), settings.handshakeTimeoutMs)
    socket.on("message", (data, isBinary) => {
      if (!isBinary) return this.fail("a text message")
      this.receive(toBytes(data))
    })
    socket.on("error", (error) => this.handlers.log(`connection ${id}: socket error ${error.message}`))
    socket.on("close", () => this.onSocketClosed())
  }

  /** A fresh id for a node the server sends. */
  queryId(): string {
    return `fake.${this.id}.${this.nextQueryId++}`
  }

  /** Sends a node; false when the connection no longer takes nodes. */
  send(node: BinaryNode): boolean {
    if (this.state !== "open" || this.transport === undefined) return false
    this.socket.send(encodeFrame(this.transport.encrypt(encodeBinaryNode(node))))
    return true
  }

  /** Sends a node with an id and waits for the client's iq answer with the same id. */
  query(node: BinaryNode, timeoutMs: number): Promise<BinaryNode> {
    const id = node.attrs.id
    if (id === undefined) return Promise.reject(new Error("a query needs an id"))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`no answer to ${node.tag} ${id} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(id, { resolve, reject, timer })
      if (!this.send(node)) {
        clearTimeout(timer)
        this.pending.delete(id)
        reject(new ConnectionClosed("connection closed"))
      }
    })
  }

  /**
   * Sends the last node (a stream error or a login failure) and lets the client close first: a TCP close that
   * Baileys reads before the error ends its socket with 428 instead of the error's code. After the grace
   * period the socket is closed anyway. Resolves once it is closed.
   */
  end(lastNode?: BinaryNode): Promise<void> {
    if (this.state === "closing" || this.state === "closed") return this.closed
    if (lastNode !== undefined) this.send(lastNode)
    this.state = "closing"
    this.closeTimer = setTimeout(() => this.socket.terminate(), this.settings.closeGraceMs)
    return this.closed
  }

  /** Closes the TCP connection at once, without a stream error (a network drop). */
  drop(): Promise<void> {
    if (this.state !== "closed") this.socket.terminate()
    return this.closed
  }

  private receive(chunk: Uint8Array): void {
    if (this.state === "closing" || this.state === "closed") return
    try {
      for (const frame of this.reader.push(chunk)) this.onFrame(frame)
    } catch (error) {
      this.fail(error instanceof Error ? error.message : String(error))
    }
  }

  /** Runs synchronously in arrival order: the transport's counters must see frames in order. */
  private onFrame(frame: Uint8Array): void {
    switch (this.state) {
      case "hello": {
        const intro = this.reader.intro
        if (intro === undefined) throw new Error("frame before intro")
        this.routingInfo = intro.routingInfo
        const hello = proto.HandshakeMessage.decode(frame).clientHello
        if (!hello?.ephemeral) throw new Error("first frame is not a client hello")
        this.responder = new NoiseResponder(intro.header, this.settings.certificates.leaf, this.settings.certificates.encoded)
        const serverHello = this.responder.hello(hello.ephemeral)
        this.socket.send(encodeFrame(proto.HandshakeMessage.encode({ serverHello }).finish()))
        this.state = "finish"
        return
      }
      case "finish": {
        const finish = proto.HandshakeMessage.decode(frame).clientFinish
        if (!finish?.static || !finish.payload || this.responder === undefined) throw new Error("second frame is not a client finish")
        const result = this.responder.finish(finish.static, finish.payload)
        const intent = intentOf(proto.ClientPayload.decode(result.clientPayload))
        if (intent === undefined) throw new Error("client payload is neither a registration nor a login")
        clearTimeout(this.handshakeTimer)
        this.clientStaticKey = result.clientStaticKey
        this.transport = result.transport
        this.state = "open"
        this.handlers.onIdentified(this, intent)
        return
      }
      case "open": {
        if (this.transport === undefined) throw new Error("no transport")
        const plaintext = Buffer.from(this.transport.decrypt(frame))
        // decoding is asynchronous (it may inflate): chain it so nodes are handled in arrival order
        this.inbox = this.inbox
          .then(() => decodeBinaryNode(plaintext))
          .then((node) => this.onNode(node))
          .catch((error: unknown) => this.fail(`undecodable node: ${error instanceof Error ? error.message : String(error)}`))
        return
      }
      case "closing":
      case "closed":
        return
    }
  }

  private onNode(node: BinaryNode): void {
    if (this.state !== "open") return
    const id = node.attrs.id
    const pending = node.tag === "iq" && id !== undefined ? this.pending.get(id) : undefined
    if (pending !== undefined && id !== undefined && (node.attrs.type === "result" || node.attrs.type === "error")) {
      clearTimeout(pending.timer)
      this.pending.delete(id)
      pending.resolve(node)
      return
    }
    this.handlers.onNode(this, node)
  }

  private fail(reason: string): void {
    if (this.state === "closed") return
    this.handlers.log(`connection ${this.id}: closed, ${reason}`)
    this.state = "closing"
    this.socket.terminate()
  }

  private onSocketClosed(): void {
    if (this.state === "closed") return
    this.state = "closed"
    clearTimeout(this.handshakeTimer)
    clearTimeout(this.closeTimer)
    for (const [id, query] of this.pending) {
      clearTimeout(query.timer)
      query.reject(new ConnectionClosed(`connection closed before the answer to ${id}`))
    }
    this.pending.clear()
    this.handlers.onClosed(this)
    this.markClosed()
  }
}
