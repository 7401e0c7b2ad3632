// The event-stream format (HTML "server-sent events"), read incrementally:
// text arrives in arbitrary chunks, a frame ends at a blank line.

export interface SseFrame {
  /** The frame's `id:` field; undefined when it had none (the stream's last id stays as it was). */
  readonly id: string | undefined
  /** `event:` field; "message" when absent. */
  readonly event: string
  /** The `data:` lines joined by "\n". */
  readonly data: string
}

export interface SseReader {
  /** Feeds a chunk of decoded text; answers the frames it completed. */
  readonly push: (chunk: string) => ReadonlyArray<SseFrame>
}

export const createSseReader = (): SseReader => {
  let buffer = ""
  let id: string | undefined
  let event = ""
  let data: Array<string> = []

  const field = (line: string, frames: Array<SseFrame>) => {
    if (line === "") {
      if (data.length > 0) frames.push({ id, event: event === "" ? "message" : event, data: data.join("\n") })
      id = undefined
      event = ""
      data = []
      return
    }
    if (line.startsWith(":")) return // a comment: the keep-alive
    const colon = line.indexOf(":")
    const name = colon === -1 ? line : line.slice(0, colon)
    const raw = colon === -1 ? "" : line.slice(colon + 1)
    const value = raw.startsWith(" ") ? raw.slice(1) : raw
    if (name === "data") data.push(value)
    else if (name === "event") event = value
    else if (name === "id" && !value.includes("\u0000")) id = value
  }

  return {
    push: (chunk) => {
      buffer += chunk
      const frames: Array<SseFrame> = []
      while (true) {
        const end = buffer.search(/\r\n|\r|\n/)
        if (end === -1) break
        // A lone "\r" at the very end may be the first half of "\r\n": wait for the next chunk.
        if (buffer[end] === "\r" && end === buffer.length - 1) break
        const width = buffer.startsWith("\r\n", end) ? 2 : 1
        field(buffer.slice(0, end), frames)
        buffer = buffer.slice(end + width)
      }
      return frames
    }
  }
}
