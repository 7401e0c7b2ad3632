import { describe, expect, it } from "vitest"
import { ClientFrameReader, encodeFrame, MalformedFrame, WA_INTRO } from "./frames.js"

const frame = (...bytes: ReadonlyArray<number>): Uint8Array => encodeFrame(Uint8Array.from(bytes))

/** Baileys' intro with routing info: ED 00 01, a 3-byte length, the routing info, then WA 06 03. */
const routedIntro = (routingInfo: Uint8Array): Uint8Array =>
  Buffer.concat([Buffer.from([0x45, 0x44, 0, 1, 0, 0, routingInfo.length]), routingInfo, WA_INTRO])

describe("client frame reader", () => {
  it("reads the WA 06 03 intro, then 3-byte length-prefixed frames", () => {
    const reader = new ClientFrameReader()
    const frames = reader.push(Buffer.concat([WA_INTRO, frame(1, 2, 3), frame(4)]))
    expect(frames.map((f) => [...f])).toEqual([[1, 2, 3], [4]])
    expect([...(reader.intro?.header ?? [])]).toEqual([...WA_INTRO])
    expect(reader.intro?.routingInfo).toBeUndefined()
  })

  it("reads an ED 00 01 intro with routing info; only WA 06 03 is the header", () => {
    const reader = new ClientFrameReader()
    const frames = reader.push(Buffer.concat([routedIntro(Buffer.from("edge")), frame(9)]))
    expect(frames.map((f) => [...f])).toEqual([[9]])
    expect(Buffer.from(reader.intro?.routingInfo ?? []).toString()).toBe("edge")
    expect([...(reader.intro?.header ?? [])]).toEqual([...WA_INTRO])
  })

  it("reassembles an intro and frames split at every byte", () => {
    const bytes = Buffer.concat([routedIntro(Buffer.from("edge")), frame(1, 2), frame(3, 4, 5)])
    const reader = new ClientFrameReader()
    const frames = [...bytes].flatMap((byte) => reader.push(Uint8Array.of(byte)))
    expect(frames.map((f) => [...f])).toEqual([[1, 2], [3, 4, 5]])
  })

  it("refuses bytes that are no intro", () => {
    expect(() => new ClientFrameReader().push(Buffer.from("GET / HTTP/1.1"))).toThrow(MalformedFrame)
    expect(() => new ClientFrameReader().push(Uint8Array.of(0x57, 0x41, 5, 3))).toThrow(MalformedFrame)
    expect(() => new ClientFrameReader().push(Uint8Array.of(0x45, 0x44, 0, 2))).toThrow(MalformedFrame)
    expect(() => new ClientFrameReader().push(Buffer.concat([Buffer.from([0x45, 0x44, 0, 1, 0, 0, 1, 7]), Buffer.from([0x57, 0x42, 6, 3])]))).toThrow(MalformedFrame)
  })

  it("encodes a frame's length in three big-endian bytes", () => {
    expect([...encodeFrame(new Uint8Array(0x01_02_03)).subarray(0, 3)]).toEqual([1, 2, 3])
  })
})
