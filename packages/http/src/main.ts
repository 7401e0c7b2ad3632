#!/usr/bin/env node
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { runStandalone } from "./standalone.js"

// The standalone server: `npm start`. SIGTERM/SIGINT interrupt it; the HTTP
// server stops accepting, lets in-flight requests finish, and the process exits 0.
runStandalone.pipe(
  Effect.catchTags({
    InvalidConfiguration: (error) => Effect.zipRight(Console.error(error.message), Effect.fail(error)),
    StoreUnavailable: (error) => Effect.zipRight(Console.error(`store unavailable: ${error.message}`), Effect.fail(error)),
    ServeError: (error) => Effect.zipRight(Console.error(`cannot listen: ${String(error.cause)}`), Effect.fail(error))
  }),
  (program) => NodeRuntime.runMain(program, { disableErrorReporting: true, disablePrettyLogger: true })
)
