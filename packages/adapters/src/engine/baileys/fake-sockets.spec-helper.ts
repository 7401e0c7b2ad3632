import { Clock, Context, Deferred, type Duration, Effect, FiberSet, Layer } from "effect"
import { EngineEvent, type SessionId } from "@wa-gateway/domain"
import { PhoneActionRejected, SimulatedPhone } from "../simulator/simulated-phone.js"
import type { AuthenticationCreds, ConnectionState } from "./baileys.js"
import { FIRST_QR_LIFETIME, LATER_QR_LIFETIME } from "./session-runtime.js"
import { type SocketConfig, type SocketEvents, SocketFactory, type WaSocket } from "./socket-factory.js"

// A fake of what the Baileys engine sees of WhatsApp: sockets with Baileys'
// event surface (`ev` with `connection.update` and `creds.update`,
// `requestPairingCode`, `logout`, `end`), behaving as Baileys rc14 does
// against the server (spec/fake-whatsapp.md): a new device gets QR refs (the
// first shown 60 s, later ones 20 s, then 408 "QR refs attempts ended"); a
// scan or an entered code is `pair-success` (creds.update with `me` and
// `account`) and then 515; a linked device's login opens; an unlinked or
// half-made one is refused with 401. Timers run on Effect's Clock, so tests
// drive them with TestClock. A phone acts on it with SimulatedPhone's shape.

/** A Boom as Baileys makes them: an Error with `output.statusCode`. */
export const boom = (statusCode: number, message: string): Error => Object.assign(new Error(message), { output: { statusCode } })

interface Device {
  readonly sessionId: SessionId
  readonly jid: string
  readonly lid: string
}

type SocketState = "connecting" | "pairing" | "paired" | "open" | "closed"

export class FakeSocket implements WaSocket {
  state: SocketState = "connecting"
  qrsShown = 0
  pairingCode: string | undefined = undefined
  readonly creds: AuthenticationCreds
  readonly sessionId: SessionId
  /** What the creds looked like when the socket was made (a copy of `me`). */
  readonly meAtStart: AuthenticationCreds["me"]
  private readonly listeners: { [E in keyof SocketEvents]: Array<(update: SocketEvents[E]) => void> } = {
    "connection.update": [],
    "creds.update": []
  }

  constructor(private readonly world: World, config: SocketConfig) {
    this.creds = config.creds
    this.sessionId = config.sessionId
    this.meAtStart = config.creds.me === undefined ? undefined : { ...config.creds.me }
  }

  readonly ev = {
    on: <E extends keyof SocketEvents>(event: E, listener: (update: SocketEvents[E]) => void): void => {
      this.listeners[event].push(listener)
    }
  }

  connection(update: Partial<ConnectionState>): void {
    for (const listener of this.listeners["connection.update"]) listener(update)
  }

  /** As Baileys: its own listener merges the update into the creds first, then ours hear it. */
  credsChanged(update: Partial<AuthenticationCreds>): void {
    Object.assign(this.creds, update)
    for (const listener of this.listeners["creds.update"]) listener(update)
  }

  get closed(): boolean {
    return this.state === "closed"
  }

  requestPairingCode = (phoneNumber: string): Promise<string> => {
    this.world.codeRequests.push({ sessionId: this.sessionId, afterQr: this.state === "pairing" && this.qrsShown > 0 })
    // As Baileys: creds.me is set before anything is sent, whether or not the socket can send.
    this.credsChanged({ me: { id: `${phoneNumber}@s.whatsapp.net`, name: "~" } })
    if (this.state !== "pairing") return Promise.reject(boom(428, "Connection Closed"))
    this.pairingCode = this.world.nextCode()
    return Promise.resolve(this.pairingCode)
  }

  logout = (): Promise<void> => {
    this.world.logouts.push(this.sessionId)
    if (this.state !== "open") return Promise.reject(boom(428, "Connection Closed"))
    // remove-companion-device, then Baileys closes with 401 itself.
    this.world.removeDevice(this.creds.me?.id ?? "")
    return this.end(boom(401, "Intentional Logout"))
  }

  end = (error: Error | undefined): Promise<void> => {
    if (this.state === "closed") return Promise.resolve()
    this.state = "closed"
    this.world.ended(this)
    this.connection({ connection: "close", lastDisconnect: { error, date: new Date(0) } })
    return Promise.resolve()
  }
}

export interface FakeSocketsOptions {
  /** How long a linked device's login takes before `open` (default: at once). */
  readonly loginDelay?: Duration.DurationInput
  /** QR refs the server sends a new device (WhatsApp: about six). */
  readonly qrRefs?: number
}

class World {
  readonly sockets: Array<FakeSocket> = []
  readonly devices = new Map<string, Device>()
  readonly codeRequests: Array<{ readonly sessionId: SessionId; readonly afterQr: boolean }> = []
  readonly logouts: Array<SessionId> = []
  /** Sessions whose logins the server refuses with this code. */
  readonly refusedLogins = new Map<SessionId, number>()
  /** Sessions whose sockets cannot reach the server until this time (all sessions: `"*"`). */
  readonly downUntil = new Map<SessionId | "*", number>()
  /** Sessions whose server never answers (a black hole). */
  readonly silent = new Set<SessionId | "*">()
  /** Sessions whose server presents a certificate chain the client refuses. */
  readonly untrusted = new Set<SessionId | "*">()
  private readonly alive = new Map<SessionId, number>()
  private readonly opened = new Map<SessionId, Array<Deferred.Deferred<void>>>()
  maxAlivePerSession = 0
  connecting = 0
  maxConnecting = 0
  private codes = 0
  private devicesMade = 0

  constructor(
    readonly run: <A, E>(effect: Effect.Effect<A, E>) => unknown,
    readonly options: FakeSocketsOptions
  ) {}

  nextCode(): string {
    const alphabet = "123456789ABCDEFGHJKLMNPQRSTVWXYZ"
    const n = ++this.codes
    return Array.from({ length: 8 }, (_, i) => alphabet[(n * 7 + i * 13) % alphabet.length]).join("")
  }

  open(config: SocketConfig): FakeSocket {
    const socket = new FakeSocket(this, config)
    this.sockets.push(socket)
    const alive = (this.alive.get(socket.sessionId) ?? 0) + 1
    this.alive.set(socket.sessionId, alive)
    this.maxAlivePerSession = Math.max(this.maxAlivePerSession, alive)
    this.connecting++
    this.maxConnecting = Math.max(this.maxConnecting, this.connecting)
    this.run(this.serve(socket))
    return socket
  }

  ended(socket: FakeSocket): void {
    this.alive.set(socket.sessionId, (this.alive.get(socket.sessionId) ?? 1) - 1)
    this.doneConnecting(socket)
  }

  private readonly counted = new WeakSet<FakeSocket>()
  private doneConnecting(socket: FakeSocket): void {
    if (this.counted.has(socket)) return
    this.counted.add(socket)
    this.connecting--
  }

  private matches(set: { has: (key: SessionId | "*") => boolean }, sessionId: SessionId): boolean {
    return set.has("*") || set.has(sessionId)
  }

  /** What the server does with a new socket, from the client's first `connecting` on. */
  private serve(socket: FakeSocket): Effect.Effect<void> {
    const world = this
    return Effect.gen(function* () {
      // Baileys emits its first update on the next tick.
      yield* Effect.yieldNow()
      if (socket.closed) return
      socket.connection({ connection: "connecting" })
      const now = yield* Clock.currentTimeMillis
      const down = Math.max(world.downUntil.get("*") ?? 0, world.downUntil.get(socket.sessionId) ?? 0)
      if (now < down) return void socket.end(boom(408, "WebSocket Error (connect ECONNREFUSED 127.0.0.1:443)"))
      if (world.matches(world.silent, socket.sessionId)) return
      if (world.matches(world.untrusted, socket.sessionId)) return void socket.end(boom(400, "noise intermediate certificate signature invalid"))
      const me = socket.creds.me
      if (me === undefined) {
        // A new device: the server's pair-device with its refs, one QR each.
        socket.state = "pairing"
        world.doneConnecting(socket)
        const refs = world.options.qrRefs ?? 6
        for (let ref = 0; ref < refs; ref++) {
          if (socket.state !== "pairing") return
          socket.qrsShown++
          socket.connection({ qr: world.qrOf(socket, ref) })
          yield* Effect.sleep(ref === 0 ? FIRST_QR_LIFETIME : LATER_QR_LIFETIME)
        }
        if (socket.state === "pairing") yield* Effect.promise(() => socket.end(boom(408, "QR refs attempts ended")))
        return
      }
      // A login of a known device.
      const refused = world.refusedLogins.get(socket.sessionId)
      if (refused !== undefined) return void socket.end(boom(refused, "Connection Failure"))
      const device = world.devices.get(me.id)
      if (device === undefined) return void socket.end(boom(401, "Connection Failure"))
      if (world.options.loginDelay !== undefined) yield* Effect.sleep(world.options.loginDelay)
      if (socket.closed) return
      socket.credsChanged({ me: { ...me, lid: device.lid } })
      socket.state = "open"
      world.doneConnecting(socket)
      socket.connection({ connection: "open" })
      for (const waiter of world.opened.get(socket.sessionId)?.splice(0) ?? []) yield* Deferred.succeed(waiter, undefined)
    })
  }

  qrOf(socket: FakeSocket, ref: number): string {
    const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64")
    const { creds } = socket
    return `https://wa.me/settings/linked_devices#2@ref${this.sockets.indexOf(socket)}-${ref},${b64(creds.noiseKey.public)},${b64(creds.signedIdentityKey.public)},${creds.advSecretKey},1`
  }

  /** Resolved when the session's next socket opens. */
  nextOpen(sessionId: SessionId): Effect.Effect<Deferred.Deferred<void>> {
    return Effect.tap(Deferred.make<void>(), (deferred) =>
      Effect.sync(() => this.opened.set(sessionId, [...(this.opened.get(sessionId) ?? []), deferred])))
  }

  /** The phone links the pairing socket: pair-success, then WhatsApp's 515. */
  link(socket: FakeSocket, phoneNumber: string, pushName: string | undefined, byCode: boolean): void {
    const n = ++this.devicesMade
    const device: Device = {
      sessionId: socket.sessionId,
      jid: `${phoneNumber}:${n}@s.whatsapp.net`,
      lid: `${String(100_000_000_000_000 + n)}:${n}@lid`
    }
    this.devices.set(device.jid, device)
    socket.state = "paired"
    socket.credsChanged({
      me: { id: device.jid, lid: device.lid, ...(pushName === undefined ? {} : { name: pushName }) },
      account: {
        details: new Uint8Array([8, n]),
        accountSignatureKey: new Uint8Array(32).fill(n),
        accountSignature: new Uint8Array(64).fill(1),
        deviceSignature: new Uint8Array(64).fill(2)
      },
      platform: "android",
      ...(byCode ? { registered: true } : {})
    })
    socket.connection({ isNewLogin: true })
    this.run(Effect.zipRight(Effect.yieldNow(), Effect.promise(() => socket.end(boom(515, "Stream Errored (restart required)")))))
  }

  removeDevice(jid: string): void {
    this.devices.delete(jid)
  }

  deviceOf(sessionId: SessionId): Device | undefined {
    return [...this.devices.values()].find((d) => d.sessionId === sessionId)
  }

  current(sessionId: SessionId): FakeSocket | undefined {
    return [...this.sockets].reverse().find((s) => s.sessionId === sessionId && !s.closed)
  }
}

/** The fake's controls, for the Baileys engine's own tests. */
export class FakeSockets extends Context.Tag("test/FakeSockets")<FakeSockets, {
  /** Every socket the engine made, oldest first (of one session, if given). */
  readonly sockets: (sessionId?: SessionId) => ReadonlyArray<FakeSocket>
  /** The session's socket that has not ended, if any. */
  readonly current: (sessionId: SessionId) => FakeSocket | undefined
  /** Links a device for the session as if paired earlier: its stored creds log in. */
  readonly linkDevice: (sessionId: SessionId, jid: string, lid: string) => void
  readonly refuseLogins: (sessionId: SessionId, code: number | null) => void
  /** No socket reaches the server until `until` (epoch ms), for one session or all. */
  readonly unreachableUntil: (who: SessionId | "*", until: number) => void
  /** The server accepts the TCP connection and never answers. */
  readonly silent: (who: SessionId | "*") => void
  /** The server's certificate chain does not verify. */
  readonly untrusted: (who: SessionId | "*") => void
  /** Most sockets of one session alive at once, over the whole run. */
  readonly maxAlivePerSession: () => number
  /** Most sockets still connecting (no `open`, no close yet) at once. */
  readonly maxConnecting: () => number
  readonly codeRequests: () => ReadonlyArray<{ readonly sessionId: SessionId; readonly afterQr: boolean }>
  readonly logouts: () => ReadonlyArray<SessionId>
}>() {}

const rejected = (sessionId: SessionId, reason: PhoneActionRejected["reason"], message: string) =>
  Effect.fail(new PhoneActionRejected({ sessionId, reason, message }))

const normalized = (code: string) => code.replace(/[\s-]/g, "").toUpperCase()

/** The fake sockets as the engine's `SocketFactory`, their controls, and a phone acting on them. */
export const fakeSockets = (options: FakeSocketsOptions = {}): Layer.Layer<SocketFactory | FakeSockets | SimulatedPhone> =>
  Layer.scopedContext(Effect.gen(function* () {
    const run = yield* FiberSet.makeRuntime<never>()
    const world = new World((effect) => run(effect), options)

    const pairAndAwaitOpen = (socket: FakeSocket, phoneNumber: string, pushName: string | undefined, byCode: boolean) =>
      Effect.gen(function* () {
        const opened = yield* world.nextOpen(socket.sessionId)
        world.link(socket, phoneNumber, pushName, byCode)
        // The engine reconnects after the 515 and the device logs in.
        yield* Deferred.await(opened)
        return EngineEvent.Connected({ sessionId: socket.sessionId })
      })

    const phone: Context.Tag.Service<SimulatedPhone> = {
      scan: (sessionId, input) =>
        Effect.suspend(() => {
          const socket = world.current(sessionId)
          if (socket?.state !== "pairing" || socket.qrsShown === 0 || socket.pairingCode !== undefined) {
            return rejected(sessionId, "no_qr_showing", "no QR code is showing for this session")
          }
          return pairAndAwaitOpen(socket, input.phoneNumber, input.pushName, false)
        }),
      enterCode: (sessionId, input) =>
        Effect.suspend(() => {
          const socket = world.current(sessionId)
          if (socket?.state !== "pairing" || socket.pairingCode === undefined) {
            return rejected(sessionId, "no_code_pending", "no pairing code is pending for this session")
          }
          if (normalized(input.code) !== socket.pairingCode) return rejected(sessionId, "wrong_code", "the pairing code is wrong")
          const phoneNumber = (socket.creds.me?.id ?? "").split("@")[0] ?? ""
          return pairAndAwaitOpen(socket, phoneNumber, input.pushName, true)
        }),
      unlink: (sessionId) =>
        Effect.suspend(() => {
          const device = world.deviceOf(sessionId)
          if (device === undefined) return rejected(sessionId, "not_linked", "no device is linked for this session")
          world.removeDevice(device.jid)
          const socket = world.current(sessionId)
          // <stream:error code=401><conflict type=device_removed/></stream:error>
          if (socket?.state === "open") void socket.end(boom(401, "Stream Errored (conflict)"))
          return Effect.succeed(EngineEvent.LoggedOutByDevice({ sessionId }))
        }),
      dropConnection: (sessionId, reconnectAfterMs) =>
        Effect.gen(function* () {
          const socket = world.current(sessionId)
          if (socket?.state !== "open") return yield* rejected(sessionId, "not_linked", "no linked device is connected for this session")
          world.downUntil.set(sessionId, (yield* Clock.currentTimeMillis) + reconnectAfterMs)
          yield* Effect.promise(() => socket.end(boom(428, "Connection Terminated")))
          return EngineEvent.Disconnected({ sessionId, cause: "connection_lost", willReconnect: true })
        })
    }

    const controls: Context.Tag.Service<FakeSockets> = {
      sockets: (sessionId) => world.sockets.filter((s) => sessionId === undefined || s.sessionId === sessionId),
      current: (sessionId) => world.current(sessionId),
      linkDevice: (sessionId, jid, lid) => void world.devices.set(jid, { sessionId, jid, lid }),
      refuseLogins: (sessionId, code) => void (code === null ? world.refusedLogins.delete(sessionId) : world.refusedLogins.set(sessionId, code)),
      unreachableUntil: (who, until) => void world.downUntil.set(who, until),
      silent: (who) => void world.silent.add(who),
      untrusted: (who) => void world.untrusted.add(who),
      maxAlivePerSession: () => world.maxAlivePerSession,
      maxConnecting: () => world.maxConnecting,
      codeRequests: () => world.codeRequests,
      logouts: () => world.logouts
    }

    const factory: Context.Tag.Service<SocketFactory> = { open: (config) => world.open(config), warnings: [] }
    return Context.make(SocketFactory, factory).pipe(Context.add(FakeSockets, controls), Context.add(SimulatedPhone, phone))
  }))

