import { Effect, FiberRef, LogLevel, Runtime } from "effect"
import type { SessionId } from "@wa-gateway/domain"
import { maskDigits } from "../../observability/log-masking.js"
import type { BaileysLogger } from "./baileys.js"

// Baileys logs through a pino-shaped logger. Ours routes every line into the
// Effect log with the session's id, one level quieter (Baileys' `info` is
// chatty protocol progress: our `debug`), and keeps secrets out:
// - from `info` up (Baileys' `warn`/`error`) only the message text goes out,
//   with numbers long enough to be phone numbers or LIDs, base64 blobs (keys,
//   QR strings) and code-shaped tokens blanked, plus an error's name and
//   status code: Baileys writes JIDs into some warnings (`Invalid entry for ${pn}`);
// - below, Baileys' object goes out as JSON with every byte array replaced by
//   its length and base64 text (protobuf bytes) by its length, so key
//   material never reaches a log at any level, and every JID's or phone
//   number's digits masked (`6281******89@s.whatsapp.net`).

type BaileysLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal"

const OURS: Record<BaileysLevel, LogLevel.LogLevel> = {
  trace: LogLevel.Trace,
  debug: LogLevel.Trace,
  info: LogLevel.Debug,
  warn: LogLevel.Info,
  error: LogLevel.Warning,
  fatal: LogLevel.Error
}

/**
 * Baileys lines that are routine here, logged at debug whatever their level:
 * the history-sync warning (we turn history sync off on purpose: a gateway
 * keeps no chats), the stream error that every close by the server, the
 * normal 515 after pairing included, logs (the runtime reports each close in
 * its own words, with the reason), and the presence Baileys skips at every
 * open of an account without a push name (`markOnlineOnConnect: false` still
 * sends "unavailable"; a personal account's name arrives only later, by
 * app-state sync: seen end to end, one line per session and login).
 */
const ROUTINE = ["DISABLING ALL SYNC BY shouldSyncHistoryMsg", "stream errored out", "no name present, ignoring presence update request"]

/** The quietest Baileys level that still reaches our log at this minimum: Baileys skips work below it. */
const baileysLevelFor = (minimum: LogLevel.LogLevel): string =>
  (["trace", "info", "warn", "error", "fatal"] as const).find((level) => LogLevel.greaterThanEqual(OURS[level], minimum)) ?? "silent"

/** Digit runs of phone numbers and LIDs, base64 runs of keys and QR parts, 8-character pairing codes. */
export const scrub = (text: string): string =>
  text
    .replace(/[A-Za-z0-9+/_-]{24,}={0,2}/g, "[redacted]")
    .replace(/\d{6,}/g, "[number]")
    .replace(/\b[A-Z0-9]{4}-?[A-Z0-9]{4}\b/g, (token) => /\d/.test(token) && /[A-Z]/.test(token) ? "[code]" : token)

/**
 * For a debug line's text: the user part of every JID
 * (`<number>[:<device>]@<server>`) and any other run of 8 or more digits
 * masked, and runs that look like encoded keys (16 or more base64 characters
 * with a digit and a letter, or `=`-padded) blanked; words and paths stay.
 */
export const maskDebugText = (text: string): string =>
  text
    .replace(/[A-Za-z0-9+/_-]{16,}={0,2}/g, (run) => (/\d/.test(run) && /[A-Za-z]/.test(run)) || run.endsWith("=") ? "[redacted]" : run)
    .replace(/(\d{5,})(?=(:\d+)?@)|\d{8,}/g, (digits) => maskDigits(digits))

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null

/** What of an error may be said at info and above: its name and status code, never its text. */
const errorSummary = (obj: unknown): string | undefined => {
  if (!isRecord(obj)) return undefined
  const error = obj["err"] ?? obj["error"] ?? (obj instanceof Error ? obj : undefined)
  if (!isRecord(error)) return undefined
  const name = typeof error["name"] === "string" ? error["name"] : "error"
  const output = error["output"]
  const status = isRecord(output) && typeof output["statusCode"] === "number" ? ` ${output["statusCode"]}` : ""
  return `${name}${status}`
}

/** Baileys' object as JSON for debug lines: bytes as their length, at most 2,000 characters. */
/** Protobuf messages serialize their bytes as base64 text (`toJSON`), before a replacer sees them. */
const BASE64_TEXT = /^[A-Za-z0-9+/_-]{16,}={0,2}$/
/** A phone number or LID as a value of its own (`username` of the login node is the account's number). */
const DIGITS = /^\d{8,20}$/

const detail = (obj: unknown): string => {
  try {
    const text = JSON.stringify(obj, (_, value: unknown) =>
      value instanceof Uint8Array ? `<${value.byteLength} bytes>`
      : isRecord(value) && value["type"] === "Buffer" && Array.isArray(value["data"]) ? `<${value["data"].length} bytes>`
      : typeof value === "string" && DIGITS.test(value) ? maskDigits(value)
      : typeof value === "string" && BASE64_TEXT.test(value) ? `<${value.length} characters>`
      : typeof value === "number" && Number.isInteger(value) && DIGITS.test(String(value)) ? maskDigits(String(value))
      : typeof value === "bigint" ? maskDigits(value.toString())
      : value)
    return text === undefined ? "" : text.length > 2000 ? `${text.slice(0, 2000)}…` : text
  } catch {
    return "[unserializable]"
  }
}

/** Baileys' logger for one session, writing into the Effect log of the runtime that made it. */
export const makeBaileysLogger = (sessionId: SessionId): Effect.Effect<BaileysLogger> =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    const minimum = yield* FiberRef.get(FiberRef.currentMinimumLogLevel)
    const runSync = Runtime.runSync(runtime)

    const make = (bindings: Record<string, string>): BaileysLogger => {
      const write = (level: BaileysLevel) => (obj: unknown, msg?: string): void => {
        const text = typeof obj === "string" ? obj : msg ?? ""
        const ours = ROUTINE.some((routine) => text.includes(routine)) ? LogLevel.Debug : OURS[level]
        if (!LogLevel.greaterThanEqual(ours, minimum)) return
        const loud = LogLevel.greaterThanEqual(ours, LogLevel.Info)
        const line = loud
          ? [scrub(text), errorSummary(obj)].filter((part) => part !== undefined && part !== "").join(": ")
          : maskDebugText([text, typeof obj === "string" ? "" : detail(obj)].filter((part) => part !== "").join(" "))
        runSync(Effect.logWithLevel(ours, `baileys: ${line}`).pipe(Effect.annotateLogs({ ...bindings, sessionId })))
      }
      return {
        level: baileysLevelFor(minimum),
        child: (more) => make({ ...bindings, ...childBindings(more) }),
        trace: write("trace"),
        debug: write("debug"),
        info: write("info"),
        warn: write("warn"),
        error: write("error")
      }
    }
    return make({})
  })

/** Child bindings as annotations (Baileys passes e.g. `{ class: "ns" }`): short texts only, scrubbed. */
const childBindings = (more: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(more).flatMap(([key, value]) =>
    typeof value === "string" || typeof value === "number" ? [[`baileys.${key}`, scrub(String(value)).slice(0, 100)]] : []))
