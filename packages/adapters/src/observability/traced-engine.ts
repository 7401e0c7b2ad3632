import { Effect, Layer } from "effect"
import { SessionEngine, type SessionId } from "@wa-gateway/domain"
import { Tracing } from "./tracing.js"

/** With tracing on, each engine operation is a span named `engine.<operation>`; off, the engine is handed back as it is. */
export const TracedSessionEngine: Layer.Layer<SessionEngine, never, SessionEngine> = Layer.effect(
  SessionEngine,
  Effect.gen(function* () {
    const engine = yield* SessionEngine
    if (!(yield* Tracing).enabled) return engine
    // The session id, never the phone a code is for (spans leave the process like logs do).
    const span = (operation: string, sessionId: SessionId, more: Record<string, string> = {}) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.withSpan(effect, `engine.${operation}`, { attributes: { "wa.engine": engine.name, "wa.session_id": sessionId, ...more } })
    return {
      ...engine,
      startPairing: (sessionId, request) =>
        span("startPairing", sessionId, { "wa.pairing_method": request._tag === "Qr" ? "qr" : "code" })(engine.startPairing(sessionId, request)),
      currentChallenge: (sessionId) => span("currentChallenge", sessionId)(engine.currentChallenge(sessionId)),
      logout: (sessionId) => span("logout", sessionId)(engine.logout(sessionId)),
      resume: (sessionId) => span("resume", sessionId)(engine.resume(sessionId)),
      stop: (sessionId) => span("stop", sessionId)(engine.stop(sessionId)),
      purge: (sessionId) => span("purge", sessionId)(engine.purge(sessionId))
    }
  })
)
