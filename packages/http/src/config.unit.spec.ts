import { ConfigProvider, Effect, Either, LogLevel, Option } from "effect"
import { describe, expect, it } from "vitest"
import { loadServerConfig } from "./config.js"

const load = (env: Record<string, string>) =>
  Effect.runSync(Effect.either(Effect.withConfigProvider(loadServerConfig, ConfigProvider.fromMap(new Map(Object.entries(env))))))

describe("server configuration (API.md environment table)", () => {
  it("has the documented defaults", () => {
    const config = load({})
    expect(Either.isRight(config)).toBe(true)
    if (Either.isRight(config)) {
      expect(config.right).toMatchObject({
        port: 8080,
        host: "0.0.0.0",
        dataDir: "./data",
        engine: "baileys",
        logLevel: LogLevel.Info
      })
      expect(Option.isNone(config.right.databaseUrl)).toBe(true)
      expect(config.right.auth.orgClaim).toBe("org_id")
      // WhatsApp's own server and root, the chain verified.
      expect(config.right.whatsapp).toEqual({ serverUrl: Option.none(), certRoot: Option.none(), verifyServerCert: true })
    }
  })

  it("reads every variable", () => {
    const config = load({
      PORT: "9000",
      HOST: "127.0.0.1",
      DATABASE_URL: "postgres://u@db:5432/wa",
      DATA_DIR: "/var/lib/wa",
      WA_ENGINE: "simulator",
      LOG_LEVEL: "debug",
      AUTH_JWT_ORG_CLAIM: "tenant",
      WA_SERVER_URL: "ws://127.0.0.1:7788/ws/chat",
      WA_SERVER_CERT_ROOT: Buffer.alloc(32, 7).toString("base64"),
      WA_VERIFY_SERVER_CERT: "false"
    })
    expect(Either.getOrThrow(config)).toMatchObject({
      port: 9000,
      host: "127.0.0.1",
      databaseUrl: Option.some("postgres://u@db:5432/wa"),
      dataDir: "/var/lib/wa",
      engine: "simulator",
      logLevel: LogLevel.Debug,
      auth: { orgClaim: "tenant" },
      whatsapp: {
        serverUrl: Option.some("ws://127.0.0.1:7788/ws/chat"),
        certRoot: Option.some(new Uint8Array(32).fill(7)),
        verifyServerCert: false
      }
    })
  })

  it("treats an empty DATABASE_URL as unset", () => {
    expect(Option.isNone(Either.getOrThrow(load({ DATABASE_URL: "" })).databaseUrl)).toBe(true)
  })

  it.each([
    ["PORT", "not-a-port"],
    ["PORT", "70000"],
    ["WA_ENGINE", "telegram"],
    ["DATABASE_URL", "mysql://localhost/db"],
    ["LOG_LEVEL", "loud"],
    ["AUTH_JWKS_URL", "not a url"],
    ["WA_SERVER_URL", "https://web.whatsapp.com/ws/chat"],
    ["WA_SERVER_URL", "not a url"],
    ["WA_SERVER_CERT_ROOT", "not base64!"],
    ["WA_SERVER_CERT_ROOT", Buffer.alloc(31).toString("base64")],
    ["WA_SERVER_CERT_ROOT", Buffer.alloc(33).toString("base64")],
    ["WA_VERIFY_SERVER_CERT", "maybe"]
  ])("refuses %s=%s with a message naming the variable", (variable, value) => {
    const config = load({ [variable]: value })
    expect(Either.isLeft(config)).toBe(true)
    if (Either.isLeft(config)) {
      expect(config.left.message).toMatch(/^invalid configuration: /)
      expect(config.left.message).toContain(variable)
    }
  })
})

describe("LOG_LEVEL", () => {
  it.each([
    ["trace", LogLevel.Trace],
    ["debug", LogLevel.Debug],
    ["INFO", LogLevel.Info],
    ["warn", LogLevel.Warning],
    ["warning", LogLevel.Warning],
    ["error", LogLevel.Error],
    ["fatal", LogLevel.Fatal],
    ["silent", LogLevel.None],
    ["none", LogLevel.None]
  ])("accepts %s", (name, level) => {
    expect(Either.getOrThrow(load({ LOG_LEVEL: name })).logLevel).toBe(level)
  })

  it("refuses anything else, listing the names it accepts", () => {
    const config = load({ LOG_LEVEL: "loud" })
    if (Either.isRight(config)) return expect.fail("LOG_LEVEL=loud was accepted")
    expect(config.left.message).toContain("LOG_LEVEL: must be one of trace, debug, info, warn, warning, error, fatal, silent, none")
  })
})
