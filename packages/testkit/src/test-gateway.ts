import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, type Layer } from "effect"
import {
  createGateway,
  type EmbeddedGateway,
  Gateway,
  type Session,
  SimulatedPhoneGateway,
  type SimulatorGatewayServices,
  simulatorGatewayLayer
} from "@wa-gateway/adapters"
import type { OrgId, StoreUnavailable } from "@wa-gateway/domain"

export interface TestGatewayOptions {
  /** `memory` (default, instant) or `pglite` (the embedded SQL store; a few seconds to create). */
  readonly store?: "memory" | "pglite" | undefined
  /** PGlite only: persist here (e.g. to test a restart); default: in memory / a temporary directory. */
  readonly dataDir?: string | undefined
  /** Seeds QR strings, pairing codes and identities; the same seed replays the same values. Default 1. */
  readonly seed?: string | number | undefined
}

/** A started promise-based test gateway: `createGateway`'s API with its simulated `phone`. */
export interface StartedTestGateway extends EmbeddedGateway {
  /** Creates a session and pairs it by QR with the simulated phone. */
  readonly pairedSession: (input?: { readonly name?: string; readonly phoneNumber?: string; readonly pushName?: string }) => Promise<Session>
}

export const DEFAULT_TEST_PHONE = "628123456789"

/**
 * An in-process gateway on the simulator engine, for tests of the gateway and
 * of services that embed it: no network, no phone, deterministic under a seed.
 */
export const TestGateway = {
  /** Effect: the whole gateway as a Layer (`Gateway`, `SimulatedPhoneGateway`, stores, …), fresh for each build. */
  layer: (options: TestGatewayOptions = {}): Layer.Layer<SimulatorGatewayServices, StoreUnavailable> =>
    simulatorGatewayLayer({
      store: options.store === "pglite" ? { _tag: "pglite", dataDir: options.dataDir } : { _tag: "memory" },
      simulator: { seed: options.seed ?? 1 }
    }),

  /** Promise: a started gateway; `close()` it when done (a temporary PGlite directory is removed then). */
  start: async (options: TestGatewayOptions = {}): Promise<StartedTestGateway> => {
    const temporary = options.store === "pglite" && options.dataDir === undefined
      ? await mkdtemp(join(tmpdir(), "wa-gateway-test-"))
      : undefined
    const dataDir = options.store === "pglite" ? options.dataDir ?? temporary : undefined
    const gateway = await createGateway({ engine: "simulator", dataDir, seed: options.seed ?? 1 })
    return {
      ...gateway,
      pairedSession: async (input = {}) => {
        const session = await gateway.create({ name: input.name ?? "test" })
        await gateway.startPairing(session.sessionId)
        return gateway.phone.scan(session.sessionId, {
          phoneNumber: input.phoneNumber ?? DEFAULT_TEST_PHONE,
          ...(input.pushName === undefined ? {} : { pushName: input.pushName })
        })
      },
      close: async () => {
        await gateway.close()
        if (temporary !== undefined) await rm(temporary, { recursive: true, force: true })
      }
    }
  }
}

/** Effect: a session of `orgId` paired by QR with the simulated phone. */
export const givenPairedSession = (
  orgId: OrgId,
  input: { readonly name?: string; readonly phoneNumber?: string; readonly pushName?: string } = {}
) =>
  Effect.gen(function* () {
    const gateway = yield* Gateway
    const phone = yield* SimulatedPhoneGateway
    const session = yield* gateway.create(orgId, { name: input.name ?? "test" })
    yield* gateway.qr(orgId, session.sessionId)
    return yield* phone.scan(orgId, session.sessionId, {
      phoneNumber: input.phoneNumber ?? DEFAULT_TEST_PHONE,
      pushName: input.pushName
    })
  })
