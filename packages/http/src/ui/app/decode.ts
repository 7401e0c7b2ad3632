// Small runtime checks for what the gateway answers: the page trusts no body
// it has not checked, and a mismatch names the field (`$.sessions[0].status`).

export class DecodeError extends Error {
  constructor(readonly path: string, expected: string) {
    super(`${path}: expected ${expected}`)
    this.name = "DecodeError"
  }
}

export type Decoder<T> = (input: unknown, path: string) => T

export type Decoded<D> = D extends Decoder<infer T> ? T : never

export const decode = <T>(decoder: Decoder<T>, input: unknown): T => decoder(input, "$")

export const string: Decoder<string> = (input, path) => {
  if (typeof input !== "string") throw new DecodeError(path, "a string")
  return input
}

export const boolean: Decoder<boolean> = (input, path) => {
  if (typeof input !== "boolean") throw new DecodeError(path, "a boolean")
  return input
}

export const integer: Decoder<number> = (input, path) => {
  if (typeof input !== "number" || !Number.isInteger(input)) throw new DecodeError(path, "an integer")
  return input
}

/** An ISO-8601 timestamp, kept as the string it came as. */
export const timestamp: Decoder<string> = (input, path) => {
  const text = string(input, path)
  if (Number.isNaN(Date.parse(text))) throw new DecodeError(path, "a timestamp")
  return text
}

export const literal = <const L extends ReadonlyArray<string>>(...values: L): Decoder<L[number]> =>
  (input, path) => {
    const found = values.find((value) => value === input)
    if (found === undefined) throw new DecodeError(path, values.map((value) => JSON.stringify(value)).join(" | "))
    return found
  }

export const nullable = <T>(decoder: Decoder<T>): Decoder<T | null> => (input, path) =>
  input === null ? null : decoder(input, path)

/** A field that may be absent. */
export const optional = <T>(decoder: Decoder<T>): Decoder<T | undefined> => (input, path) =>
  input === undefined ? undefined : decoder(input, path)

export const array = <T>(decoder: Decoder<T>): Decoder<ReadonlyArray<T>> => (input, path) => {
  if (!Array.isArray(input)) throw new DecodeError(path, "an array")
  return input.map((item: unknown, index) => decoder(item, `${path}[${index}]`))
}

const isRecord = (input: unknown): input is Readonly<Record<string, unknown>> =>
  typeof input === "object" && input !== null && !Array.isArray(input)

/** Any JSON object, its values unchecked (e.g. an event's `data`). */
export const record: Decoder<Readonly<Record<string, unknown>>> = (input, path) => {
  if (!isRecord(input)) throw new DecodeError(path, "an object")
  return input
}

/** An object with at least these fields; others are ignored, so the gateway may add fields. */
export const object = <S extends Readonly<Record<string, Decoder<unknown>>>>(
  shape: S
): Decoder<{ readonly [K in keyof S]: Decoded<S[K]> }> =>
  (input, path) => {
    const source = record(input, path)
    const result: Record<string, unknown> = {}
    for (const [key, decoder] of Object.entries(shape)) result[key] = decoder(source[key], `${path}.${key}`)
    // Every key of `shape` was decoded by its own decoder just above.
    return result as { readonly [K in keyof S]: Decoded<S[K]> }
  }
