import { FetchHttpClient } from "@effect/platform"
import { OtlpSerialization, OtlpTracer } from "@effect/opentelemetry"
import { Duration, Layer, Option, Redacted } from "effect"
import type { TracingSettings } from "./tracing-config.js"

/** `<base>/v1/traces`, as the OTLP/HTTP specification appends it to `OTEL_EXPORTER_OTLP_ENDPOINT`. */
const tracesUrl = (base: URL): string => `${base.href.replace(/\/+$/, "")}/v1/traces`

/**
 * The tracer of the process: with an endpoint, @effect/opentelemetry's OTLP
 * exporter (JSON over fetch, no OpenTelemetry SDK), which batches spans and
 * sends what is left when the process stops; without one, nothing at all
 * (Effect's own tracer stays, and no layer asks it for a span).
 */
export const otlpTracing = (settings: Option.Option<TracingSettings>): Layer.Layer<never> =>
  Option.match(settings, {
    onNone: () => Layer.empty,
    onSome: ({ endpoint, exportIntervalMs, headers, serviceName }) =>
      OtlpTracer.layer({
        url: tracesUrl(endpoint),
        headers: Redacted.value(headers),
        resource: { serviceName },
        exportInterval: Duration.millis(exportIntervalMs)
      }).pipe(Layer.provide(OtlpSerialization.layerJson), Layer.provide(FetchHttpClient.layer))
  })
