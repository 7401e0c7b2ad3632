// What the server acknowledged (a 2xx), per session, in order: the changes
// the log must hold afterwards, whatever happened to the process or the store.

export type Acknowledged =
  | { readonly kind: "created" }
  | { readonly kind: "pairing"; readonly method: "qr" | "code" }
  | { readonly kind: "paired"; readonly version: number }
  | { readonly kind: "logged_out"; readonly version: number }
  | { readonly kind: "deleted" }

export interface Ledger {
  readonly record: (sessionId: string, change: Acknowledged) => void
  readonly entries: () => ReadonlyMap<string, ReadonlyArray<Acknowledged>>
  readonly size: () => number
}

export const makeLedger = (): Ledger => {
  const bySession = new Map<string, Array<Acknowledged>>()
  let size = 0
  return {
    record: (sessionId, change) => {
      const list = bySession.get(sessionId) ?? []
      list.push(change)
      bySession.set(sessionId, list)
      size++
    },
    entries: () => bySession,
    size: () => size
  }
}
