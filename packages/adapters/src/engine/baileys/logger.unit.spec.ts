import { describe, expect, it } from "@effect/vitest"
import { Effect, HashMap, Layer, Logger, LogLevel } from "effect"
import { SessionId } from "@wa-gateway/domain"
import { makeBaileysLogger, scrub } from "./logger.js"

const sessionId = SessionId.make("sess_01HZX8K3M9ABCDEFGHJKMNPQRS")

interface Line {
  readonly level: string
  readonly message: string
  readonly annotations: Record<string, unknown>
}

const capturing = (lines: Array<Line>, minimum: LogLevel.LogLevel) =>
  Layer.merge(
    Logger.replace(Logger.defaultLogger, Logger.make(({ annotations, logLevel, message }) => {
      lines.push({
        level: logLevel.label,
        message: Array.isArray(message) ? message.map(String).join(" ") : String(message),
        annotations: Object.fromEntries(HashMap.toEntries(annotations))
      })
    })),
    Logger.minimumLogLevel(minimum)
  )

const secrets = {
  pn: "628123456789",
  qr: "https://wa.me/settings/linked_devices#2@AbCdEfGhIjKlMnOpQrStUvWxYz012345,q83vEjR1ab0Z9x8w7v6u5t4s3r2q1p0o9n8m7l6k5j4=",
  code: "ABCD1234",
  key: Buffer.from("0123456789abcdef0123456789abcdef")
}

describe("Baileys' logger in ours", () => {
  it.effect("logs one level quieter, with the session's id and the child's bindings", () => {
    const lines: Array<Line> = []
    return Effect.gen(function* () {
      const logger = yield* makeBaileysLogger(sessionId)
      logger.info({ class: "x" }, "connected to WA")
      logger.warn({}, "timed out waiting for message")
      logger.error({ err: Object.assign(new Error("boom text"), { output: { statusCode: 503 } }) }, "error in validating connection")
      logger.child({ class: "ns" }).debug({}, "handshake")
      expect(lines.map((l) => [l.level, l.message])).toEqual([
        ["DEBUG", expect.stringContaining("connected to WA")],
        ["INFO", "baileys: timed out waiting for message"],
        ["WARN", "baileys: error in validating connection: Error 503"],
        ["TRACE", expect.stringContaining("handshake")]
      ])
      expect(lines.every((l) => l.annotations["sessionId"] === sessionId)).toBe(true)
      expect(lines[3]?.annotations["baileys.class"]).toBe("ns")
      // Baileys skips building trace-level details when nothing would log them.
      expect(logger.level).toBe("trace")
    }).pipe(Effect.provide(capturing(lines, LogLevel.All)))
  })

  it.effect("never lets a phone number, QR string, pairing code or key reach info or above", () => {
    const lines: Array<Line> = []
    return Effect.gen(function* () {
      const logger = yield* makeBaileysLogger(sessionId)
      // Baileys does write JIDs into some warnings, and objects with keys into others.
      logger.warn(`Invalid entry for ${secrets.pn}@s.whatsapp.net (pair not resolved)`)
      logger.warn({ qr: secrets.qr, code: secrets.code, key: secrets.key }, `qr ${secrets.qr} code ${secrets.code}`)
      logger.error({ err: new Error(`No session for ${secrets.pn}`), key: secrets.key }, "failed to decrypt")
      const text = JSON.stringify(lines)
      expect(lines).toHaveLength(3)
      for (const secret of [secrets.pn, secrets.qr, secrets.code, "AbCdEfGhIjKlMnOpQrStUvWxYz012345", secrets.key.toString("base64")]) {
        expect(text).not.toContain(secret)
      }
      expect(lines[0]?.message).toBe("baileys: Invalid entry for [number]@s.whatsapp.net (pair not resolved)")
    }).pipe(Effect.provide(capturing(lines, LogLevel.Info)))
  })

  it.effect("below info, bytes are written as their length, never their content", () => {
    const lines: Array<Line> = []
    return Effect.gen(function* () {
      const logger = yield* makeBaileysLogger(sessionId)
      logger.info({ node: { eIdent: secrets.key, nested: [{ private: new Uint8Array(32) }] } }, "not logged in, attempting registration...")
      expect(lines).toHaveLength(1)
      expect(lines[0]?.message).toContain("<32 bytes>")
      expect(lines[0]?.message).not.toContain(secrets.key.toString("base64"))
      expect(lines[0]?.message).not.toContain("0,0,0")
    }).pipe(Effect.provide(capturing(lines, LogLevel.Debug)))
  })

  it.effect("below info, every JID's number is masked, in the text and in the details", () => {
    const lines: Array<Line> = []
    return Effect.gen(function* () {
      const logger = yield* makeBaileysLogger(sessionId)
      logger.info({ me: { id: `${secrets.pn}:12@s.whatsapp.net`, lid: "123456789012345:12@lid" } }, `pairing configured for ${secrets.pn}@s.whatsapp.net`)
      expect(lines).toHaveLength(1)
      expect(lines[0]?.message).not.toContain(secrets.pn)
      expect(lines[0]?.message).not.toContain("123456789012345")
      expect(lines[0]?.message).toContain("6281******89:12@s.whatsapp.net")
      expect(lines[0]?.message).toContain("6281******89@s.whatsapp.net")
      expect(lines[0]?.message).toContain("1234*********45:12@lid")
    }).pipe(Effect.provide(capturing(lines, LogLevel.Debug)))
  })

  it.effect("below info, protobuf bytes serialized as base64 and bare numbers are blanked or masked too", () => {
    const lines: Array<Line> = []
    return Effect.gen(function* () {
      const logger = yield* makeBaileysLogger(sessionId)
      const key = secrets.key.toString("base64")
      logger.info({ node: { username: secrets.pn, asNumber: Number(secrets.pn), helloMsg: { toJSON: () => ({ ephemeral: key }) } } }, "logging in...")
      expect(lines).toHaveLength(1)
      expect(lines[0]?.message).not.toContain(key)
      expect(lines[0]?.message).not.toContain(secrets.pn)
      expect(lines[0]?.message).toContain("6281******89")
      expect(lines[0]?.message).toContain("logging in...")
    }).pipe(Effect.provide(capturing(lines, LogLevel.Debug)))
  })

  it.effect("at the default level (info) Baileys' info and debug lines are not written, and Baileys is told so", () => {
    const lines: Array<Line> = []
    return Effect.gen(function* () {
      const logger = yield* makeBaileysLogger(sessionId)
      logger.info({}, "connected to WA")
      logger.debug({}, "recv frame")
      expect(lines).toEqual([])
      expect(logger.level).toBe("warn")
    }).pipe(Effect.provide(capturing(lines, LogLevel.Info)))
  })

  it.effect("logs the routine lines of a gateway's sockets at debug: the history-sync warning, the server's stream errors, the presence skipped without a name", () => {
    const lines: Array<Line> = []
    return Effect.gen(function* () {
      const logger = yield* makeBaileysLogger(sessionId)
      logger.warn("⚠️ DANGER: DISABLING ALL SYNC BY shouldSyncHistoryMsg PREVENTS BAILEYS FROM ACCESSING INITIAL LID MAPPINGS")
      logger.error({ reasonNode: {} }, "stream errored out")
      logger.warn("no name present, ignoring presence update request...")
      expect(lines.map((l) => l.level)).toEqual(["DEBUG", "DEBUG", "DEBUG"])
    }).pipe(Effect.provide(capturing(lines, LogLevel.All)))
  })

  it("scrub blanks long digit runs, base64 runs and code-shaped tokens, and keeps ordinary words", () => {
    expect(scrub("handled 12 offline messages")).toBe("handled 12 offline messages")
    expect(scrub("628123456789:4@s.whatsapp.net")).toBe("[number]:4@s.whatsapp.net")
    expect(scrub("code ABCD-1234 or WXYZ9876")).toBe("code [code] or [code]")
    expect(scrub("PreKeyLow UPLOADED")).toBe("PreKeyLow UPLOADED")
  })
})
