// Bytes written as they are to a fresh loopback connection, for what fetch
// never sends (no Host, CONNECT, broken framing, truncated bodies).
import { connect } from "node:net"

export interface RawAnswer {
  /** The final answer's status (after any 100 Continue); 0 when none came. */
  readonly status: number
  readonly body: unknown
  /** The server closed or reset the connection without a status line. */
  readonly silent: boolean
}

export interface RawOptions {
  /** Close our side once written (the server may still answer). */
  readonly halfClose?: boolean
  /** Reset the connection this long after writing, instead of waiting for an answer. */
  readonly resetAfterMs?: number
  /** Give up waiting after this long (default 5 s). */
  readonly waitMs?: number
}

export const rawExchange = (port: number, bytes: Buffer | string, options: RawOptions = {}): Promise<RawAnswer> =>
  new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1")
    const chunks: Array<Buffer> = []
    let settled = false
    const done = () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve(parse(Buffer.concat(chunks)))
    }
    const timer = setTimeout(done, options.waitMs ?? 5_000)
    socket.on("data", (chunk: Buffer) => chunks.push(chunk))
    socket.on("close", done)
    socket.on("error", () => undefined)
    socket.write(bytes, () => {
      if (options.resetAfterMs !== undefined) {
        setTimeout(() => {
          socket.resetAndDestroy()
          done()
        }, options.resetAfterMs)
      } else if (options.halfClose === true) {
        socket.end()
      }
    })
  })

const parse = (raw: Buffer): RawAnswer => {
  const text = raw.toString("latin1")
  const heads = [...text.matchAll(/HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/g)].filter((match) => match[1] !== "100")
  const last = heads.at(-1)
  if (last === undefined) return { status: 0, body: undefined, silent: true }
  const headStart = (last.index ?? 0) + last[0].length
  const split = text.indexOf("\r\n\r\n", headStart)
  const head = split === -1 ? text.slice(headStart) : text.slice(headStart, split)
  const length = /^content-length:\s*(\d+)/im.exec(head)?.[1]
  const chunked = /^transfer-encoding:\s*chunked/im.test(head)
  const start = split === -1 ? raw.length : split + 4
  let payload = raw.subarray(start, length === undefined ? undefined : start + Number(length))
  if (chunked) payload = dechunk(payload)
  const bodyText = payload.toString("utf8")
  let body: unknown = undefined
  try {
    body = bodyText === "" ? undefined : JSON.parse(bodyText)
  } catch {
    body = bodyText
  }
  return { status: Number(last[1]), body, silent: false }
}

const dechunk = (payload: Buffer): Buffer => {
  const parts: Array<Buffer> = []
  let at = 0
  while (at < payload.length) {
    const lineEnd = payload.indexOf("\r\n", at)
    if (lineEnd === -1) break
    const size = Number.parseInt(payload.subarray(at, lineEnd).toString("latin1"), 16)
    if (!Number.isFinite(size) || size === 0) break
    parts.push(payload.subarray(lineEnd + 2, lineEnd + 2 + size))
    at = lineEnd + 2 + size + 2
  }
  return Buffer.concat(parts)
}
