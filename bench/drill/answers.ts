// What the drill accepts as an answer: the envelope of spec/API.md, checked
// here on its own terms (not with the server's schema) so a drift shows.

const CODES: ReadonlySet<string> = new Set([
  "validation_error",
  "unauthorized",
  "forbidden",
  "not_found",
  "conflict",
  "payload_too_large",
  "not_implemented",
  "unavailable",
  "internal"
])

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const hasExactly = (value: Record<string, unknown>, keys: ReadonlyArray<string>): boolean => {
  const own = Object.keys(value).sort()
  return own.length === keys.length && [...keys].sort().every((key, i) => own[i] === key)
}

/** `{ error: { code, message, details } }`, nothing more, `details` an object. */
export const isEnvelope = (body: unknown): boolean => {
  if (!isPlainObject(body) || !hasExactly(body, ["error"])) return false
  const error = body["error"]
  return isPlainObject(error) && hasExactly(error, ["code", "details", "message"]) &&
    typeof error["code"] === "string" && CODES.has(error["code"]) &&
    typeof error["message"] === "string" && isPlainObject(error["details"])
}

/** The envelope's code, if the body is one. */
export const envelopeCode = (body: unknown): string | undefined =>
  isEnvelope(body) && isPlainObject(body) && isPlainObject(body["error"]) && typeof body["error"]["code"] === "string"
    ? body["error"]["code"]
    : undefined

export interface Answer {
  /** 0: no answer (connection refused, reset, timed out; `failure` says which). */
  readonly status: number
  readonly body: unknown
  readonly ms: number
  readonly failure?: string
}

const failureOf = (error: unknown): string => {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error
  if (cause instanceof Error) return "code" in cause && typeof cause.code === "string" ? `${cause.name} ${cause.code}` : `${cause.name}: ${cause.message}`
  return String(cause)
}

/** One API call with a bound on its time; a transport failure is status 0, never a throw. */
export const callApi = async (
  baseUrl: string,
  method: string,
  path: string,
  options: { readonly token?: string; readonly body?: unknown; readonly timeoutMs?: number } = {}
): Promise<Answer> => {
  const headers: Record<string, string> = {}
  if (options.token !== undefined) headers["authorization"] = `Bearer ${options.token}`
  if (options.body !== undefined) headers["content-type"] = "application/json"
  const started = performance.now()
  try {
    const response = await fetch(baseUrl + path, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000)
    })
    const text = await response.text()
    let body: unknown = undefined
    try {
      body = text === "" ? undefined : JSON.parse(text)
    } catch {
      body = text
    }
    return { status: response.status, body, ms: performance.now() - started }
  } catch (error) {
    return { status: 0, body: undefined, ms: performance.now() - started, failure: failureOf(error) }
  }
}

/** A field of a JSON object body, if it is a string. */
export const stringField = (body: unknown, field: string): string | undefined =>
  isPlainObject(body) && typeof body[field] === "string" ? body[field] : undefined

/** A field of a JSON object body, if it is a number. */
export const numberField = (body: unknown, field: string): number | undefined =>
  isPlainObject(body) && typeof body[field] === "number" ? body[field] : undefined
