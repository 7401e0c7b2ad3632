import { Config, ConfigError, Either, Option, Redacted } from "effect"
import { optionalText } from "../optional-text.js"

/** Where spans go when tracing is on: OTLP over HTTP (JSON), the variables of the OpenTelemetry specification. */
export interface TracingSettings {
  /** `OTEL_EXPORTER_OTLP_ENDPOINT`: the collector's base URL; spans go to `<it>/v1/traces`. */
  readonly endpoint: URL
  /** `OTEL_SERVICE_NAME` (default `wa-gateway`). */
  readonly serviceName: string
  /** `OTEL_BSP_SCHEDULE_DELAY`: milliseconds between exports (default 5000). */
  readonly exportIntervalMs: number
  /** `OTEL_EXPORTER_OTLP_HEADERS` (`key=value,…`, values URL-encoded): a collector's credentials, so redacted. */
  readonly headers: Redacted.Redacted<Readonly<Record<string, string>>>
}

/** `api-key=abc,x-tenant=t%201` → `{ "api-key": "abc", "x-tenant": "t 1" }`; an entry without a name or `=` is refused. */
const parseHeaders = (text: string): Either.Either<Record<string, string>, string> => {
  const headers: Record<string, string> = {}
  for (const entry of text.split(",")) {
    if (entry.trim() === "") continue
    const at = entry.indexOf("=")
    const name = at < 0 ? "" : entry.slice(0, at).trim()
    if (name === "") return Either.left("must be comma-separated key=value pairs")
    try {
      headers[name.toLowerCase()] = decodeURIComponent(entry.slice(at + 1).trim())
    } catch {
      return Either.left("a value is not URL-encoded correctly")
    }
  }
  return Either.right(headers)
}

const headers: Config.Config<Redacted.Redacted<Readonly<Record<string, string>>>> = optionalText("OTEL_EXPORTER_OTLP_HEADERS").pipe(
  Config.mapOrFail((text) =>
    Either.mapBoth(Option.match(text, { onNone: () => Either.right({}), onSome: parseHeaders }), {
      // The reason only, never the text: it holds credentials.
      onLeft: (why) => ConfigError.InvalidData(["OTEL_EXPORTER_OTLP_HEADERS"], why),
      onRight: (parsed) => Redacted.make<Readonly<Record<string, string>>>(parsed)
    }))
)

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
  ),
  headers
}).pipe(Config.map(({ endpoint, ...rest }) => Option.map(endpoint, (url) => ({ endpoint: url, ...rest }))))
