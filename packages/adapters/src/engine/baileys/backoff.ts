import { Duration, Effect, Random } from "effect"

// Reconnecting after a transient close: exponential backoff with full jitter
// (a delay drawn uniformly between zero and the cap), so thousands of sessions
// dropped by one network fault do not come back in lockstep. The cap doubles
// from 1 s to at most 60 s, forever; a connection that stayed open for a
// minute counts as stable and starts the next run of failures from 1 s again.

export const BACKOFF_INITIAL = Duration.seconds(1)
export const BACKOFF_MAX = Duration.seconds(60)
/** An open connection this old has recovered: the next failure starts the schedule again. */
export const STABLE_AFTER = Duration.minutes(1)

/** The largest delay before retry number `failures` (0 for the first failure). */
export const backoffCap = (failures: number): Duration.Duration =>
  Duration.millis(Math.min(Duration.toMillis(BACKOFF_MAX), Duration.toMillis(BACKOFF_INITIAL) * 2 ** Math.min(failures, 30)))

/** Full jitter: uniform in [0, cap], from the `Random` service (tests fix it). */
export const backoffDelay = (failures: number): Effect.Effect<Duration.Duration> =>
  Effect.map(Random.next, (fraction) => Duration.millis(Math.round(fraction * Duration.toMillis(backoffCap(failures)))))
