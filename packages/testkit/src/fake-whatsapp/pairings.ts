/**
 * Sockets of devices that are not linked yet: each was sent QR refs (`pair-device`), and may have asked for
 * a pairing code (`companion_hello`). The phone finds one by a ref from a scanned QR, or by the phone number a
 * code was requested for.
 */
import type { FakeConnection } from "./connection.js"

export interface CodeRequest {
  readonly phoneNumber: string
  /** salt ‖ iv ‖ AES-CTR(companion ephemeral key) under the code. */
  readonly wrappedCompanionEphemeralKey: Uint8Array
  /** The ref the server answered the companion_hello with. */
  readonly ref: string
  readonly requestedAt: Date
}

/** What the companion sends once it has read the phone's notification. */
export interface CompanionFinish {
  readonly iqId: string
  readonly wrappedKeyBundle: Uint8Array
  readonly companionIdentityKey: Uint8Array
}

export class PendingPairing {
  codeRequest: CodeRequest | undefined
  /** A phone is linking this socket right now (a second scan or code entry is refused meanwhile). */
  linking = false
  private finishWaiter: ((finish: CompanionFinish) => void) | undefined

  constructor(
    readonly connection: FakeConnection,
    readonly refs: ReadonlyArray<string>,
    /** The companion's identity key from its registration payload. */
    readonly identityKey: Uint8Array,
    readonly startedAt: Date
  ) {}

  /** Waits for the companion_finish that answers the phone's notification. */
  nextCompanionFinish(timeoutMs: number): Promise<CompanionFinish | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.finishWaiter = undefined
        resolve(undefined)
      }, timeoutMs)
      void this.connection.closed.then(() => {
        clearTimeout(timer)
        resolve(undefined)
      })
      this.finishWaiter = (finish) => {
        clearTimeout(timer)
        this.finishWaiter = undefined
        resolve(finish)
      }
    })
  }

  /** False when no phone is waiting for it (the companion sent it unasked). */
  companionFinished(finish: CompanionFinish): boolean {
    const waiter = this.finishWaiter
    if (waiter === undefined) return false
    waiter(finish)
    return true
  }
}

export class PendingPairings {
  private readonly pairings = new Map<number, PendingPairing>()
  private codeWaiters: Array<() => void> = []

  add(pairing: PendingPairing): void {
    this.pairings.set(pairing.connection.id, pairing)
  }

  remove(connectionId: number): void {
    this.pairings.delete(connectionId)
  }

  of(connectionId: number): PendingPairing | undefined {
    return this.pairings.get(connectionId)
  }

  byRef(ref: string): PendingPairing | undefined {
    return [...this.pairings.values()].find((p) => p.refs.includes(ref))
  }

  /** The latest code request for a phone number. */
  byCodeRequest(phoneNumber: string): PendingPairing | undefined {
    return [...this.pairings.values()]
      .filter((p) => p.codeRequest?.phoneNumber === phoneNumber)
      .sort((a, b) => (b.codeRequest?.requestedAt.getTime() ?? 0) - (a.codeRequest?.requestedAt.getTime() ?? 0))[0]
  }

  codeRequested(pairing: PendingPairing, request: CodeRequest): void {
    pairing.codeRequest = request
    const waiters = this.codeWaiters
    this.codeWaiters = []
    for (const wake of waiters) wake()
  }

  /**
   * The latest code request for a phone number, waiting up to `timeoutMs` for one: Baileys'
   * `requestPairingCode` resolves once its frame is written, before the server has read it.
   */
  async awaitCodeRequest(phoneNumber: string, timeoutMs: number): Promise<PendingPairing | undefined> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.byCodeRequest(phoneNumber)
      const left = deadline - Date.now()
      if (found !== undefined || left <= 0) return found
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left)
        function done() {
          clearTimeout(timer)
          resolve()
        }
        this.codeWaiters.push(done)
      })
    }
  }

  list(): ReadonlyArray<PendingPairing> {
    return [...this.pairings.values()]
  }
}
