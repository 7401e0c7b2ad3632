#!/usr/bin/env node
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import { gatewayCli } from "./cli/program.js"

// `npm run gateway -- …`. Failures were already explained on stderr; the exit code says the rest.
gatewayCli(process.argv).pipe(
  Effect.provide(NodeContext.layer),
  (program) => NodeRuntime.runMain(program, { disableErrorReporting: true, disablePrettyLogger: true })
)
