import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Option, Redacted } from "effect"
import { otlpTracing } from "./otlp-tracing.js"
import { TracingConfig } from "./tracing-config.js"

const settingsFrom = (env: Record<string, string>) =>
  Effect.withConfigProvider(TracingConfig, ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("the OTLP tracer of the process", () => {
  it.effect("with OTEL_EXPORTER_OTLP_ENDPOINT unset, tracing is off and no exporter is created: the tracer stays Effect's own", () =>
    Effect.gen(function* () {
      const settings = yield* settingsFrom({})
      expect(Option.isNone(settings)).toBe(true)
      const native = yield* Effect.tracer
      const underLayer = yield* Effect.scoped(Effect.provide(Effect.tracer, otlpTracing(settings)))
      expect(underLayer).toBe(native)
    }))

  it.effect("with an endpoint, the tracer is the exporter's", () =>
    Effect.gen(function* () {
      // Port 9 (discard): nothing is sent within this test, spans are only batched.
      const settings = yield* settingsFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9", OTEL_BSP_SCHEDULE_DELAY: "600000" })
      expect(Option.map(settings, (s) => [s.endpoint.href, s.serviceName, s.exportIntervalMs])).toEqual(Option.some(["http://127.0.0.1:9/", "wa-gateway", 600_000]))
      const native = yield* Effect.tracer
      const underLayer = yield* Effect.scoped(Effect.provide(Effect.tracer, otlpTracing(settings)))
      expect(underLayer).not.toBe(native)
    }))

  it.effect("OTEL_EXPORTER_OTLP_HEADERS is read as URL-encoded key=value pairs, kept redacted; a malformed one is refused without its text", () =>
    Effect.gen(function* () {
      const settings = yield* settingsFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9", OTEL_EXPORTER_OTLP_HEADERS: "Api-Key=s3cr%3Dt, x-tenant=acme" })
      const headers = Option.map(settings, (s) => s.headers)
      expect(Option.map(headers, Redacted.value)).toEqual(Option.some({ "api-key": "s3cr=t", "x-tenant": "acme" }))
      expect(String(Option.getOrThrow(headers))).not.toContain("s3cr")
      const error = yield* Effect.flip(settingsFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9", OTEL_EXPORTER_OTLP_HEADERS: "s3cret-token" }))
      expect(String(error)).toContain("OTEL_EXPORTER_OTLP_HEADERS")
      expect(String(error)).not.toContain("s3cret")
    }))

  it.effect("an endpoint that is not an http(s) URL is refused, naming the variable", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(settingsFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: "grpc://collector:4317" }))
      expect(String(error)).toContain("OTEL_EXPORTER_OTLP_ENDPOINT")
    }))
})
