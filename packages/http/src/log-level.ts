import { Config, ConfigError, Either, LogLevel } from "effect"

/** The names operators use for log levels (pino's, syslog's, Effect's), case-insensitive. */
const LEVELS: ReadonlyArray<readonly [string, LogLevel.LogLevel]> = [
  ["trace", LogLevel.Trace],
  ["debug", LogLevel.Debug],
  ["info", LogLevel.Info],
  ["warn", LogLevel.Warning],
  ["warning", LogLevel.Warning],
  ["error", LogLevel.Error],
  ["fatal", LogLevel.Fatal],
  ["silent", LogLevel.None],
  ["none", LogLevel.None]
]

export const LOG_LEVEL_NAMES: ReadonlyArray<string> = LEVELS.map(([name]) => name)

const byName = new Map(LEVELS)

/** `LOG_LEVEL`: one of the usual names; anything else is refused with the list. */
export const logLevelConfig = (name: string): Config.Config<LogLevel.LogLevel> =>
  Config.string(name).pipe(
    Config.mapOrFail((text) => {
      const level = byName.get(text.trim().toLowerCase())
      return level === undefined
        ? Either.left(ConfigError.InvalidData([], `must be one of ${LOG_LEVEL_NAMES.join(", ")} (got "${text}")`))
        : Either.right(level)
    })
  )
