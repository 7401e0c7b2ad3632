import { Duration, Either } from "effect"

/** spec/EVENTS.md: after the first attempt, retries about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h later. */
export const DEFAULT_RETRY_SCHEDULE: ReadonlyArray<Duration.Duration> = [
  Duration.seconds(5),
  Duration.minutes(5),
  Duration.minutes(30),
  Duration.hours(2),
  Duration.hours(5),
  Duration.hours(10),
  Duration.hours(10)
]

/** Each delay is spread over ±10 %, so receivers that failed together are not retried together. */
export const JITTER = 0.1

const DURATION = /^(\d+)(ms|s|m|h)$/

const ofUnit = (amount: number, unit: string): Duration.Duration | null => {
  switch (unit) {
    case "ms":
      return Duration.millis(amount)
    case "s":
      return Duration.seconds(amount)
    case "m":
      return Duration.minutes(amount)
    case "h":
      return Duration.hours(amount)
    default:
      return null
  }
}

/** `WEBHOOK_RETRY_SCHEDULE`: comma-separated durations such as `1s,2s,5s` (units ms, s, m, h). */
export const parseRetrySchedule = (text: string): Either.Either<ReadonlyArray<Duration.Duration>, string> => {
  const delays: Array<Duration.Duration> = []
  for (const part of text.split(",").map((p) => p.trim())) {
    const match = DURATION.exec(part)
    const delay = match === null ? null : ofUnit(Number(match[1]), match[2] ?? "")
    if (delay === null) return Either.left(`"${part}" is not a duration such as 500ms, 5s, 5m or 2h`)
    delays.push(delay)
  }
  return Either.right(delays)
}

/**
 * The delay before the next attempt after `attempts` failed ones, with
 * `random` in [0, 1) choosing where in the jitter band; `None` when the
 * schedule is used up and the delivery has failed for good.
 */
export const nextRetryDelay = (
  schedule: ReadonlyArray<Duration.Duration>,
  attempts: number,
  random: number
): Duration.Duration | null => {
  const delay = schedule[attempts - 1]
  if (delay === undefined) return null
  return Duration.millis(Math.round(Duration.toMillis(delay) * (1 - JITTER + 2 * JITTER * random)))
}
