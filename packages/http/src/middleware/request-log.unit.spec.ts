import { describe, expect, it } from "@effect/vitest"
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Fiber, FiberId, HashMap, Logger, LogLevel, Runtime } from "effect"
import { requestLine, requestLineOutsideFiber, requestLog } from "./request-log.js"

interface Line {
  readonly message: unknown
  readonly level: string
  readonly annotations: Record<string, unknown>
}

/** Runs one request through the middleware at `level`, returning its status and the log lines. */
const run = (level: LogLevel.LogLevel) =>
  Effect.gen(function* () {
    const lines: Array<Line> = []
    const capture = Logger.make(({ annotations, logLevel, message }) => {
      lines.push({ message, level: logLevel.label, annotations: Object.fromEntries(HashMap.toEntries(annotations)) })
    })
    const app = Effect.as(Effect.logWarning("inside"), HttpServerResponse.empty({ status: 204 }))
    const request = HttpServerRequest.fromWeb(new Request("http://localhost/x?y=1", { headers: { "x-request-id": "req-1" } }))
    const response = yield* requestLog(app).pipe(
      Effect.provideService(HttpServerRequest.HttpServerRequest, request),
      Effect.provide(Logger.replace(Logger.defaultLogger, capture)),
      Logger.withMinimumLogLevel(level)
    )
    return { status: response.status, lines }
  })

describe("request log", () => {
  it.effect("at info: one request line with method, path, status and duration", () =>
    Effect.gen(function* () {
      const { lines, status } = yield* run(LogLevel.Info)
      expect(status).toBe(204)
      const line = lines.find((l) => l.message === "request" || (Array.isArray(l.message) && l.message[0] === "request"))
      expect(line?.annotations).toMatchObject({ requestId: "req-1", method: "GET", path: "/x", status: 204 })
      expect(typeof line?.annotations["durationMs"]).toBe("number")
    }))

  it.effect("below info: no request line, but the request's warnings still carry its id", () =>
    Effect.gen(function* () {
      const { lines } = yield* run(LogLevel.Warning)
      expect(lines.map((l) => l.level)).toEqual(["WARN"])
      expect(lines[0]?.annotations).toMatchObject({ requestId: "req-1" })
    }))
})

describe("the request line written outside a fiber", () => {
  /** A logger that keeps every line as the JSON logger writes it, without what differs from one call to the next. */
  const jsonLines = (into: Array<string>) =>
    Logger.make((options) => {
      into.push(Logger.jsonLogger.log(options).replace(/"timestamp":"[^"]*"/, "").replace(/"fiberId":"[^"]*"/, ""))
    })
  const fields = { requestId: "req-9", method: "GET", url: "/api/v1/sessions?pageSize=5", status: 200, durationMs: 3 }

  it.effect("hands the loggers the line Effect.logInfo hands them from a fiber of the request, with that fiber's id", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const ids: Array<string> = []
      const logger = Logger.zip(jsonLines(lines), Logger.make(({ fiberId }) => ids.push(FiberId.threadName(fiberId))))
      const runtime = yield* Effect.runtime<never>().pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      const fiber = Runtime.runFork(runtime)(requestLine(fields).pipe(Effect.annotateLogs("requestId", fields.requestId)))
      yield* Fiber.join(fiber)
      requestLineOutsideFiber(runtime)(fiber.id(), fields)
      expect(lines).toHaveLength(2)
      expect(lines[1]).toBe(lines[0])
      expect(lines[0]).toContain(`"path":"/api/v1/sessions"`)
      expect(ids).toEqual([FiberId.threadName(fiber.id()), FiberId.threadName(fiber.id())])
    }))

  it.effect("writes nothing below info", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const runtime = yield* Effect.runtime<never>().pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, jsonLines(lines))),
        Logger.withMinimumLogLevel(LogLevel.Warning)
      )
      requestLineOutsideFiber(runtime)(FiberId.none, fields)
      expect(lines).toEqual([])
    }))
})
