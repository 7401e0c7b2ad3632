import { type Decoder, decode, DecodeError } from "./decode.js"
import { ErrorEnvelope } from "./sessions-wire.js"

/** A call that did not succeed: the envelope's code and message, or why there was none. */
export class ApiFailure extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message)
    this.name = "ApiFailure"
  }
}

export const asFailure = (error: unknown): ApiFailure =>
  error instanceof ApiFailure ? error : new ApiFailure(0, "client_error", error instanceof Error ? error.message : String(error))

export interface RequestOptions {
  readonly body?: unknown
  readonly accept?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly signal?: AbortSignal
}

/** The gateway's HTTP API with the signed-in bearer token; the token never leaves this object. */
export interface ApiClient {
  /** The response as it came (for probes and streams); rejects only when the gateway did not answer. */
  readonly raw: (method: string, path: string, options?: RequestOptions) => Promise<Response>
  /** A 2xx body checked by `decoder`; anything else rejects with an `ApiFailure`. */
  readonly json: <T>(method: string, path: string, decoder: Decoder<T>, options?: RequestOptions) => Promise<T>
  /** A 2xx with no body of interest (204, 202). */
  readonly send: (method: string, path: string, options?: RequestOptions) => Promise<void>
  /** A 2xx body as a blob (the QR PNG), with its headers. */
  readonly blob: (path: string, accept: string) => Promise<{ readonly blob: Blob; readonly headers: Headers }>
}

const failureOf = async (response: Response): Promise<ApiFailure> => {
  try {
    const { error } = decode(ErrorEnvelope, await response.json())
    return new ApiFailure(response.status, error.code, error.message)
  } catch {
    return new ApiFailure(response.status, "unexpected_response", `the gateway answered ${response.status}`)
  }
}

/**
 * `onUnauthorized` runs when the gateway stops accepting the token (revoked
 * key, expired JWT), so the page can sign out.
 */
export const createApiClient = (token: string, onUnauthorized: () => void): ApiClient => {
  const raw = async (method: string, path: string, options: RequestOptions = {}): Promise<Response> => {
    const headers: Record<string, string> = {
      ...options.headers,
      accept: options.accept ?? "application/json",
      authorization: `Bearer ${token}`
    }
    const init: RequestInit = { method, headers, cache: "no-store", credentials: "omit" }
    if (options.body !== undefined) {
      headers["content-type"] = "application/json"
      init.body = JSON.stringify(options.body)
    }
    if (options.signal !== undefined) init.signal = options.signal
    try {
      return await fetch(path, init)
    } catch (error) {
      if (options.signal?.aborted === true) throw error
      throw new ApiFailure(0, "network", "the gateway did not answer; is it running?")
    }
  }

  const ok = async (method: string, path: string, options?: RequestOptions): Promise<Response> => {
    const response = await raw(method, path, options)
    if (response.ok) return response
    if (response.status === 401) onUnauthorized()
    throw await failureOf(response)
  }

  return {
    raw,
    json: async (method, path, decoder, options) => {
      const response = await ok(method, path, options)
      try {
        return decode(decoder, await response.json())
      } catch (error) {
        const where = error instanceof DecodeError ? error.message : "not JSON"
        throw new ApiFailure(response.status, "unexpected_response", `the gateway's answer to ${method} ${path} was not understood (${where})`)
      }
    },
    send: async (method, path, options) => {
      const response = await ok(method, path, options)
      await response.body?.cancel()
    },
    blob: async (path, accept) => {
      const response = await ok("GET", path, { accept })
      return { blob: await response.blob(), headers: response.headers }
    }
  }
}
