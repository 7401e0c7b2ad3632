// A client running whole session lifecycles over the API, as a user would:
// create → QR → scan → logout → pairing code → enter code → (delete). Every
// 2xx goes into the ledger; a step that fails ends that session's lifecycle.
import { callApi, numberField, stringField } from "./answers.js"
import type { Ledger } from "./ledger.js"
import { count, type Tally } from "./tally.js"

export interface LifecycleOptions {
  readonly baseUrl: string
  readonly token: string
  readonly ledger: Ledger
  readonly tally: Tally
  readonly keepGoing: () => boolean
  /** Chance that a lifecycle ends with delete (else the session stays paired). */
  readonly deleteRatio: number
  /** Client id, part of the simulated phone number. */
  readonly client: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export const runLifecycles = async (options: LifecycleOptions): Promise<void> => {
  const { baseUrl, token, ledger, tally } = options
  const api = (method: string, path: string, body?: unknown) =>
    callApi(baseUrl, method, path, { token, ...(body === undefined ? {} : { body }) }).then((answer) => {
      count(tally, answer, `${method} ${path.replace(/sess_[0-9A-Z]{26}/, "{session}")}`)
      return answer
    })
  const phone = `6281${String(options.client).padStart(2, "0")}${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`
  let round = 0
  while (options.keepGoing()) {
    round++
    const created = await api("POST", "/api/v1/sessions", { name: `drill ${options.client}.${round}` })
    const sessionId = stringField(created.body, "sessionId")
    if (created.status !== 201 || sessionId === undefined) {
      await sleep(created.status === 0 ? 100 : 20)
      continue
    }
    ledger.record(sessionId, { kind: "created" })
    const session = `/api/v1/sessions/${sessionId}`
    const sim = `/simulator/v1/sessions/${sessionId}`
    const steps: ReadonlyArray<() => Promise<boolean>> = [
      async () => {
        const qr = await api("GET", `${session}/qr`)
        if (qr.status === 200) ledger.record(sessionId, { kind: "pairing", method: "qr" })
        return qr.status === 200
      },
      async () => {
        const scanned = await api("POST", `${sim}:scan`, { phoneNumber: phone, pushName: "Drill" })
        const version = numberField(scanned.body, "version")
        if (scanned.status === 200 && version !== undefined) ledger.record(sessionId, { kind: "paired", version })
        return scanned.status === 200
      },
      async () => {
        const out = await api("POST", `${session}:logout`)
        const version = numberField(out.body, "version")
        if (out.status === 200 && version !== undefined) ledger.record(sessionId, { kind: "logged_out", version })
        return out.status === 200
      },
      async () => {
        const issued = await api("POST", `${session}:requestPairingCode`, { phone })
        const code = stringField(issued.body, "code")
        if (issued.status !== 200 || code === undefined) return false
        ledger.record(sessionId, { kind: "pairing", method: "code" })
        const entered = await api("POST", `${sim}:enterCode`, { code })
        const version = numberField(entered.body, "version")
        if (entered.status === 200 && version !== undefined) ledger.record(sessionId, { kind: "paired", version })
        return entered.status === 200
      },
      async () => {
        if (Math.random() >= options.deleteRatio) return true
        const deleted = await api("DELETE", session)
        if (deleted.status === 204) ledger.record(sessionId, { kind: "deleted" })
        return deleted.status === 204
      }
    ]
    for (const step of steps) {
      if (!options.keepGoing() || !(await step())) break
    }
  }
}
