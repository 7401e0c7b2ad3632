import { Config, ConfigError, Either, Option } from "effect"
import { optionalText } from "../optional-text.js"

/** Where spans go when tracing is on: OTLP over HTTP (JSON), the variables of the OpenTelemetry specification. */
export interface TracingSettings {
  /** `OTEL_EXPORTER_OTLP_ENDPOINT`: the collector's base URL; spans go to `<it>/v1/traces`. */
  readonly endpoint: URL
  /** `OTEL_SERVICE_NAME` (default `wa-gateway`). */
  readonly serviceName: string
  /** `OTEL_BSP_SCHEDULE_DELAY`: milliseconds between exports (default 5000). */
  readonly exportIntervalMs: number
}

const endpoint: Config.Config<Option.Option<URL>> = optionalText("OTEL_EXPORTER_OTLP_ENDPOINT").pipe(
  Config.mapOrFail((text) => {
    if (Option.isNone(text)) return Either.right(Option.none<URL>())
    const url = URL.canParse(text.value) ? new URL(text.value) : null
    return url !== null && (url.protocol === "http:" || url.protocol === "https:")
      ? Either.right(Option.some(url))
      : Either.left(ConfigError.InvalidData(["OTEL_EXPORTER_OTLP_ENDPOINT"], "must be an http(s) URL"))
  })
)

/** Unset endpoint → tracing off (`Option.none()`): no exporter, no spans. */
export const TracingConfig: Config.Config<Option.Option<TracingSettings>> = Config.all({
  endpoint,
  serviceName: Config.nonEmptyString("OTEL_SERVICE_NAME").pipe(Config.withDefault("wa-gateway")),
  exportIntervalMs: Config.integer("OTEL_BSP_SCHEDULE_DELAY").pipe(
    Config.validate({ message: "must be an integer from 10 to 600000", validation: (n) => n >= 10 && n <= 600_000 }),
    Config.withDefault(5_000)
  )
}).pipe(Config.map(({ endpoint, ...rest }) => Option.map(endpoint, (url) => ({ endpoint: url, ...rest }))))
