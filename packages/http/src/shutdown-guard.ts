import { Effect, type Scope } from "effect"

/**
 * The bound on a graceful shutdown. SIGTERM/SIGINT interrupt the server
 * (`NodeRuntime.runMain`): it stops accepting, answers what is in flight and
 * closes its sockets. If that takes longer than `timeoutMs`, or a second
 * signal arrives, the process exits at once (code 1) instead of hanging.
 */
export const shutdownGuard = (timeoutMs: number): Effect.Effect<void, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      let stopping = false
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) {
          process.stderr.write(`${signal} again during shutdown: exiting now\n`)
          process.exit(1)
        }
        stopping = true
        // Unref'd: a shutdown that finishes in time exits without waiting for it.
        setTimeout(() => {
          process.stderr.write(`shutdown took longer than ${timeoutMs} ms (SHUTDOWN_TIMEOUT_MS): exiting now\n`)
          process.exit(1)
        }, timeoutMs).unref()
      }
      process.on("SIGTERM", onSignal)
      process.on("SIGINT", onSignal)
      return onSignal
    }),
    (onSignal) =>
      Effect.sync(() => {
        process.off("SIGTERM", onSignal)
        process.off("SIGINT", onSignal)
      })
  )
