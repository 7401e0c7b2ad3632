import { lookup as dnsLookup, type LookupAddress } from "node:dns"
import http from "node:http"
import https from "node:https"
import type { LookupFunction } from "node:net"
import { Duration, Effect, Schema, type Scope } from "effect"
import { Tracing, traceparentOf } from "../observability/tracing.js"
import { isPrivateAddress } from "./private-network.js"

/** spec/EVENTS.md: an answer must come within 15 s, or the attempt failed. */
export const DELIVERY_TIMEOUT = Duration.seconds(15)

/** An attempt that got no HTTP answer: refused address, network error, timeout. The message is for the delivery's `lastError`. */
export class WebhookRequestFailed extends Schema.TaggedError<WebhookRequestFailed>()("WebhookRequestFailed", {
  message: Schema.String
}) {}

export interface WebhookPostOptions {
  /** `WEBHOOK_BLOCK_PRIVATE_NETWORKS`: refuse addresses that resolve into loopback, private, link-local or unspecified ranges. */
  readonly blockPrivateNetworks: boolean
  /** Open sockets kept per receiver host (keep-alive). */
  readonly socketsPerHost: number
  /** How long an answer may take; default spec/EVENTS.md's 15 s. */
  readonly deadline?: Duration.Duration | undefined
}

const privateRefusal = "the URL resolves to a loopback, private, link-local or unspecified address"

/**
 * Resolves as `dns.lookup` does, then refuses private addresses: checked on
 * every connection, so a name that later resolves elsewhere is caught too.
 */
const checkedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: Array<LookupAddress>) => {
    if (error !== null) return callback(error, "", 0)
    if (addresses.length === 0 || addresses.some((a) => isPrivateAddress(a.address))) {
      return callback(Object.assign(new Error(privateRefusal), { code: "EPRIVATEADDRESS" }), "", 0)
    }
    const [first] = addresses
    // The caller asked for one address or, with `all` (Node's autoSelectFamily), every one.
    return options.all === true ? callback(null, addresses) : callback(null, first?.address ?? "", first?.family ?? 4)
  })
}

const describe = (error: unknown): string => {
  if (error instanceof Error) {
    if (error.message === privateRefusal) return privateRefusal
    const code = "code" in error && typeof error.code === "string" ? error.code : undefined
    return code === undefined ? "network error" : `network error (${code})`
  }
  return "network error"
}

/**
 * POSTs deliveries over keep-alive sockets and answers the response's status
 * code (its body is read and dropped). The agents live as long as the scope.
 */
export const makeWebhookPost = (options: WebhookPostOptions): Effect.Effect<
  (url: string, headers: Readonly<Record<string, string>>, body: string) => Effect.Effect<number, WebhookRequestFailed>,
  never,
  Scope.Scope
> =>
  Effect.gen(function* () {
    const agentOptions = {
      keepAlive: true,
      maxSockets: options.socketsPerHost,
      ...(options.blockPrivateNetworks ? { lookup: checkedLookup } : {})
    }
    const agents = yield* Effect.acquireRelease(
      Effect.sync(() => ({ http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) })),
      (a) => Effect.sync(() => {
        a.http.destroy()
        a.https.destroy()
      })
    )

    const failed = (message: string) => Effect.fail(new WebhookRequestFailed({ message }))
    const deadline = options.deadline ?? DELIVERY_TIMEOUT
    const noAnswer = `no answer within ${Duration.format(deadline)}`

    // The deadline is a plain timer and interruption destroys the request:
    // no AbortController and no racing fiber per attempt (a sizeable share of
    // a delivery's CPU in a profile of the webhooks bench).
    const send = (target: URL, headers: Readonly<Record<string, string>>, body: string) =>
      Effect.async<number, WebhookRequestFailed>((resume) => {
        let settled = false
        const settle = (outcome: Effect.Effect<number, WebhookRequestFailed>) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          resume(outcome)
        }
        const secure = target.protocol === "https:"
        const request = (secure ? https : http).request(target, {
          method: "POST",
          agent: secure ? agents.https : agents.http,
          headers: { ...headers, "content-length": String(Buffer.byteLength(body)) }
        }, (response) => {
          response.on("error", (error) => settle(failed(describe(error))))
          response.on("end", () => settle(Effect.succeed(response.statusCode ?? 0)))
          response.resume()
        })
        const timer = setTimeout(() => {
          settle(failed(noAnswer))
          request.destroy()
        }, Duration.toMillis(deadline))
        request.on("error", (error) => settle(failed(describe(error))))
        request.end(body)
        return Effect.sync(() => {
          settled = true
          clearTimeout(timer)
          request.destroy()
        })
      })

    // With tracing on, each attempt is a client span whose context the receiver gets in `traceparent`.
    const traced = (yield* Tracing).enabled
    const withTrace = (url: string, headers: Readonly<Record<string, string>>, body: string) =>
      Effect.flatMap(Effect.currentSpan, (span) => post(url, { ...headers, traceparent: traceparentOf(span) }, body)).pipe(
        Effect.catchTag("NoSuchElementException", () => post(url, headers, body)),
        Effect.withSpan("webhook.deliver", { kind: "client" })
      )

    const post = (url: string, headers: Readonly<Record<string, string>>, body: string) =>
      Effect.suspend(() => {
        const target = new URL(url)
        // A literal address is connected to without a lookup: check it here.
        const host = target.hostname.replace(/^\[|\]$/g, "")
        if (options.blockPrivateNetworks && isPrivateAddress(host)) return failed(privateRefusal)
        return send(target, headers, body)
      })
    return traced ? withTrace : post
  })
