import { describe, expect, it } from "@effect/vitest"
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, HashMap, Logger, LogLevel } from "effect"
import { requestLog } from "./request-log.js"

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
