// What every step of the drill works with, and what it reports.
import type { Cluster } from "./cluster.js"
import type { ServerProcess } from "./server-process.js"

export interface DrillContext {
  readonly cluster: Cluster
  readonly server: ServerProcess
  readonly token: string
  readonly port: number
}

export interface StepResult {
  readonly step: string
  readonly ok: boolean
  readonly durationMs: number
  readonly requests: number
  readonly acknowledged: number
  readonly lost: number
  /** 5xx other than the 503s a store outage calls for. */
  readonly serverErrors: number
  /** The step's own measure, e.g. "recovery 310 ms" or "heap +0.4 MB/min". */
  readonly measure: string
  readonly failures: ReadonlyArray<string>
  /** Everything else worth keeping in the JSON. */
  readonly details: Record<string, unknown>
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
