import { Effect, Layer, Queue } from "effect"
import { EngineEvent, type PairingAttemptId, type PairingMethod, type SessionId } from "@wa-gateway/domain"
import { SessionSupervisor } from "../engine/session-supervisor.js"
import { GatewayMetrics } from "./gateway-metrics.js"

/** Attempts whose method is remembered until they end; beyond this, the oldest are forgotten (an outcome then counts as `unknown`). */
const TRACKED_ATTEMPTS = 10_000

/**
 * The engine's side of the metrics, from the events the supervisor has
 * handled: connected sockets, reconnects and disconnects by cause, pairing
 * attempts by method and outcome, and how long the boot pass took.
 */
export const EngineMetricsLive: Layer.Layer<never, never, GatewayMetrics | SessionSupervisor> = Layer.scopedDiscard(
  Effect.gen(function* () {
    const metrics = yield* GatewayMetrics
    const supervisor = yield* SessionSupervisor
    const handled = yield* supervisor.handled
    const connected = new Set<SessionId>()
    const methods = new Map<PairingAttemptId, PairingMethod>()

    const started = (attemptId: PairingAttemptId, method: PairingMethod) => {
      if (methods.has(attemptId)) return
      if (methods.size >= TRACKED_ATTEMPTS) methods.delete(methods.keys().next().value ?? attemptId)
      methods.set(attemptId, method)
      metrics.pairingAttempts.inc({ method, outcome: "started" })
    }
    const ended = (attemptId: PairingAttemptId, outcome: string) => {
      metrics.pairingAttempts.inc({ method: methods.get(attemptId) ?? "unknown", outcome })
      methods.delete(attemptId)
    }
    const setConnected = (sessionId: SessionId, open: boolean) => {
      if (open) connected.add(sessionId)
      else connected.delete(sessionId)
      metrics.sessionsConnected.set(connected.size)
    }

    const count = (event: EngineEvent): void =>
      EngineEvent.$match(event, {
        QrUpdated: ({ attemptId }) => started(attemptId, "qr"),
        PairingCodeIssued: ({ attemptId }) => started(attemptId, "code"),
        Paired: ({ attemptId }) => ended(attemptId, "paired"),
        PairingFailed: ({ attemptId, reason }) => ended(attemptId, reason),
        Connected: ({ sessionId }) => setConnected(sessionId, true),
        Disconnected: ({ cause, sessionId, willReconnect }) => {
          setConnected(sessionId, false)
          metrics.disconnects.inc({ cause })
          if (willReconnect) metrics.reconnects.inc({ cause })
        },
        LoggedOutByDevice: ({ sessionId }) => setConnected(sessionId, false)
      })

    yield* Effect.forkScoped(Effect.forever(Effect.map(Queue.take(handled), count)))

    // The boot pass's duration, once it is done.
    const bootDurationMs: Effect.Effect<number> = Effect.flatMap(supervisor.resumeProgress, (p) =>
      p.durationMs === null ? Effect.delay(Effect.suspend(() => bootDurationMs), "100 millis") : Effect.succeed(p.durationMs))
    yield* Effect.forkScoped(Effect.map(bootDurationMs, (ms) => metrics.bootResumeSeconds.set(ms / 1000)))
  })
)
