import { fc, it as prop } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { createSseReader, type SseFrame } from "./app/sse-frames.js"

const STREAM =
  ": keep-alive\n\n" +
  "id: 41\nevent: session.paired\ndata: {\"type\":\"session.paired\"}\n\n" +
  "event: session.connected\r\ndata: {\"a\":1}\r\ndata: {\"b\":2}\r\n\r\n" +
  "data:no space\rid: 42\r\r\n"

const EXPECTED: ReadonlyArray<SseFrame> = [
  { id: "41", event: "session.paired", data: "{\"type\":\"session.paired\"}" },
  { id: undefined, event: "session.connected", data: "{\"a\":1}\n{\"b\":2}" },
  { id: "42", event: "message", data: "no space" }
]

describe("reading an event stream", () => {
  it("reads frames with ids, types and several data lines; skips comments; any line ending", () => {
    expect(createSseReader().push(STREAM)).toEqual(EXPECTED)
  })

  it("holds an unfinished frame until its blank line arrives", () => {
    const reader = createSseReader()
    expect(reader.push("id: 7\nevent: session.created\ndata: {}")).toEqual([])
    expect(reader.push("\n")).toEqual([])
    expect(reader.push("\n")).toEqual([{ id: "7", event: "session.created", data: "{}" }])
  })

  it("reads a \\r\\n split across two chunks as one line ending", () => {
    const reader = createSseReader()
    expect(reader.push("data: x\r")).toEqual([])
    expect(reader.push("\n\r\n")).toEqual([{ id: undefined, event: "message", data: "x" }])
  })

  prop.prop([fc.array(fc.integer({ min: 1, max: STREAM.length - 1 }), { maxLength: 12 })])(
    "gives the same frames however the text is chunked",
    (cuts) => {
      const points = [...new Set(cuts)].sort((a, b) => a - b)
      const chunks = [0, ...points].map((start, index) => STREAM.slice(start, points[index] ?? STREAM.length))
      const reader = createSseReader()
      expect(chunks.flatMap((chunk) => [...reader.push(chunk)])).toEqual(EXPECTED)
    }
  )
})
