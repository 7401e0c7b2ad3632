import { Context } from "effect"

/**
 * Whether spans are exported (`OTEL_EXPORTER_OTLP_ENDPOINT` set). Read once,
 * when a layer is built: with tracing off the traced decorators hand back the
 * plain service, so no request pays for a span that would go nowhere.
 */
export class Tracing extends Context.Reference<Tracing>()("wa-gateway/Tracing", {
  defaultValue: (): { readonly enabled: boolean } => ({ enabled: false })
}) {}

/** W3C `traceparent` of a span: what a receiver needs to join its work to this trace. */
export const traceparentOf = (span: { readonly traceId: string; readonly spanId: string; readonly sampled: boolean }): string =>
  `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`
