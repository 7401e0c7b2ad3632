import { Context, Effect, Exit, Layer, LogLevel, Logger, Option, Redacted, Scope } from "effect"
import { Gateway } from "@wa-gateway/adapters"
import { type OrgId, OrgId as OrgIdSchema } from "@wa-gateway/domain"
import { ApiKeys } from "./auth/api-keys.js"
import { authenticatorLayer } from "./auth/authenticator-live.js"
import { serverLayer, serverPort } from "./server.js"

/** A real server on a free port over the in-memory store and the simulator engine, with real API keys. */
export interface TestServer {
  readonly baseUrl: string
  /** A fresh API key of `org` with these capabilities. */
  readonly apiKey: (org: string, capabilities: ReadonlyArray<"read" | "manage">) => Promise<string>
  readonly close: () => Promise<void>
}

const noJwt = {
  jwksUrl: Option.none(),
  issuer: Option.none(),
  audience: Option.none(),
  orgClaim: "org_id",
  roleClaim: "role"
}

export const startTestServer = async (): Promise<TestServer> => {
  const layer = serverLayer({ port: 0, host: "127.0.0.1" }).pipe(
    Layer.provideMerge(authenticatorLayer(noJwt).pipe(Layer.provideMerge(ApiKeys.Live))),
    Layer.provideMerge(Gateway.layer({ store: { _tag: "memory" }, engine: "simulator" })),
    Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
  )
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
  const port = Effect.runSync(Effect.provide(serverPort, context))
  const apiKeys = Context.get(context, ApiKeys)
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey: async (org, capabilities) => {
      const [first, ...rest] = capabilities
      if (first === undefined) throw new Error("a key needs at least one capability")
      const orgId: OrgId = OrgIdSchema.make(org)
      const created = await Effect.runPromise(apiKeys.create({ orgId, capabilities: [first, ...rest], label: null }))
      return Redacted.value(created.key)
    },
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}
