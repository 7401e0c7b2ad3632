import { type Context, Effect, Layer, Option, Stream } from "effect"
import { EngineNotImplemented, SessionEngine } from "@wa-gateway/domain"

/**
 * An engine this build does not have: every operation fails with
 * `EngineNotImplemented` (HTTP 501) and nothing crashes.
 */
export const notImplementedEngineLayer = (name: string): Layer.Layer<SessionEngine> => {
  const refuse = (operation: string) => Effect.fail(new EngineNotImplemented({ operation: `${name}.${operation}` }))
  const engine: Context.Tag.Service<SessionEngine> = {
    name,
    warnings: [],
    startPairing: () => refuse("startPairing"),
    currentChallenge: () => Effect.succeed(Option.none()),
    isConnected: () => Effect.succeed(false),
    logout: () => refuse("logout"),
    resume: () => refuse("resume"),
    stop: () => Effect.void,
    purge: () => refuse("purge"),
    events: Stream.never
  }
  return Layer.succeed(SessionEngine, engine)
}
