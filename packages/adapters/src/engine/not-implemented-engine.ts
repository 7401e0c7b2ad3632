import { Context, Effect, Layer, Option, Stream } from "effect"
import { EngineNotImplemented, SessionEngine } from "@wa-gateway/domain"
import { SimulatorControl } from "./simulator/simulator-control.js"

/**
 * An engine this build does not have yet (Baileys): every operation fails
 * with `EngineNotImplemented` (HTTP 501) and nothing crashes. The simulated
 * phone has nothing to act on either.
 */
export const notImplementedEngineLayer = (name: string): Layer.Layer<SessionEngine | SimulatorControl> => {
  const refuse = (operation: string) => Effect.fail(new EngineNotImplemented({ operation: `${name}.${operation}` }))
  const engine: Context.Tag.Service<SessionEngine> = {
    name,
    startPairing: () => refuse("startPairing"),
    currentChallenge: () => Effect.succeed(Option.none()),
    logout: () => refuse("logout"),
    resume: () => refuse("resume"),
    stop: () => Effect.void,
    purge: () => refuse("purge"),
    events: Stream.never
  }
  const control: Context.Tag.Service<SimulatorControl> = {
    scan: () => refuse("scan"),
    enterCode: () => refuse("enterCode"),
    unlink: () => refuse("unlink"),
    dropConnection: () => refuse("dropConnection")
  }
  return Layer.succeedContext(Context.make(SessionEngine, engine).pipe(Context.add(SimulatorControl, control)))
}
