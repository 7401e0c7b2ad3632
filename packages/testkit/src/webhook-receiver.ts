import { createServer, type IncomingMessage } from "node:http"
import { Webhook } from "standardwebhooks"

/** One request the receiver got, as it got it. */
export interface ReceivedDelivery {
  /** `webhook-id`: the same on every attempt and replay of one event to one subscription. */
  readonly messageId: string
  /** `webhook-timestamp`, Unix seconds. */
  readonly timestamp: number
  readonly signature: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /** The body parsed as JSON (`undefined` if it is not JSON). */
  readonly payload: unknown
  /** Whether `Webhook.verify` (standardwebhooks) accepted it with the secret set at the time. */
  readonly verified: boolean
  /** What the receiver answered. */
  readonly status: number
  /** `Date.now()` when it arrived. */
  readonly receivedAt: number
}

export interface WebhookReceiverOptions {
  /** The subscription's secret (`whsec_…`), to verify signatures; settable later with `setSecret`. */
  readonly secret?: string
  /** Answer the first n requests with `failStatus` (default 500). */
  readonly failFirst?: number
  readonly failStatus?: number
  /** Answer every request `410 Gone`. */
  readonly gone?: boolean
  /** Hold each answer this long (a slow receiver; a process killed mid-delivery). */
  readonly delayMs?: number
}

export interface WebhookReceiver {
  /** Where to point a subscription: `http://127.0.0.1:<port>/hook`. */
  readonly url: string
  /** Every request so far, in arrival order. */
  readonly deliveries: () => ReadonlyArray<ReceivedDelivery>
  /** The requests answered 2xx, once per `webhook-id` (what an idempotent receiver keeps). */
  readonly accepted: () => ReadonlyArray<ReceivedDelivery>
  readonly setSecret: (secret: string) => void
  /** Answer the next n requests with `status` (default 500). */
  readonly failNext: (n: number, status?: number) => void
  readonly answerGone: (gone: boolean) => void
  /** Most requests in flight at once so far. */
  readonly maxConcurrent: () => number
  /** Requests that arrived while another with the same `webhook-id` was still being answered. */
  readonly overlaps: () => number
  /** Resolves once `until` holds for the deliveries, or rejects after `timeoutMs` (default 10 s). */
  readonly waitFor: (until: (deliveries: ReadonlyArray<ReceivedDelivery>) => boolean, timeoutMs?: number) => Promise<ReadonlyArray<ReceivedDelivery>>
  readonly close: () => Promise<void>
}

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    request.on("error", reject)
  })

const headersOf = (request: IncomingMessage): Record<string, string> =>
  Object.fromEntries(Object.entries(request.headers).flatMap(([name, value]) =>
    typeof value === "string" ? [[name, value]] : Array.isArray(value) ? [[name, value.join(", ")]] : []))

const parsed = (body: string): unknown => {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

/**
 * A local webhook endpoint for tests: verifies each delivery's signature with
 * the subscription's secret (standardwebhooks), records it, and answers 204,
 * or a failure while told to fail, or 410 while told to be gone.
 */
export const webhookReceiver = async (options: WebhookReceiverOptions = {}): Promise<WebhookReceiver> => {
  let secret = options.secret
  let failing = options.failFirst ?? 0
  let failStatus = options.failStatus ?? 500
  let gone = options.gone ?? false
  let concurrent = 0
  let maxConcurrent = 0
  let overlaps = 0
  const answering = new Map<string, number>()
  const received: Array<ReceivedDelivery> = []
  const listeners = new Set<() => void>()

  const server = createServer((request, response) => {
    concurrent++
    maxConcurrent = Math.max(maxConcurrent, concurrent)
    const messageId = headersOf(request)["webhook-id"] ?? ""
    if ((answering.get(messageId) ?? 0) > 0) overlaps++
    answering.set(messageId, (answering.get(messageId) ?? 0) + 1)
    void readBody(request).then(async (body) => {
      const headers = headersOf(request)
      let verified = false
      if (secret !== undefined) {
        try {
          new Webhook(secret).verify(body, headers)
          verified = true
        } catch {
          verified = false
        }
      }
      const status = gone ? 410 : failing > 0 ? failStatus : 204
      if (!gone && failing > 0) failing--
      if (options.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.delayMs))
      received.push({
        messageId: headers["webhook-id"] ?? "",
        timestamp: Number(headers["webhook-timestamp"] ?? "NaN"),
        signature: headers["webhook-signature"] ?? "",
        headers,
        body,
        payload: parsed(body),
        verified,
        status,
        receivedAt: Date.now()
      })
      response.writeHead(status).end()
      for (const listener of listeners) listener()
    }).finally(() => {
      concurrent--
      answering.set(messageId, (answering.get(messageId) ?? 1) - 1)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0

  return {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries: () => [...received],
    accepted: () => {
      const firsts = new Map<string, ReceivedDelivery>()
      for (const d of received) if (d.status >= 200 && d.status < 300 && !firsts.has(d.messageId)) firsts.set(d.messageId, d)
      return [...firsts.values()]
    },
    setSecret: (next) => {
      secret = next
    },
    failNext: (n, status = 500) => {
      failing = n
      failStatus = status
    },
    answerGone: (next) => {
      gone = next
    },
    maxConcurrent: () => maxConcurrent,
    overlaps: () => overlaps,
    waitFor: (until, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!until(received)) return
          cleanup()
          resolve([...received])
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(new Error(`the receiver did not see what was awaited within ${timeoutMs} ms (${received.length} deliveries)`))
        }, timeoutMs)
        const cleanup = () => {
          clearTimeout(timer)
          listeners.delete(check)
        }
        listeners.add(check)
        check()
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
