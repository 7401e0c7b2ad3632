import { ConfigProvider, Effect, Either, Option } from "effect"
import { describe, expect, it } from "vitest"
import { loadServerConfig } from "./config.js"

const load = (env: Record<string, string>) =>
  Effect.runSync(Effect.either(Effect.withConfigProvider(loadServerConfig, ConfigProvider.fromMap(new Map(Object.entries(env))))))

describe("cluster configuration (README: Several processes)", () => {
  it("is off by default: one process, as without it", () => {
    expect(Option.isNone(Either.getOrThrow(load({})).cluster)).toBe(true)
  })

  it("reads the runner's transport and the shard lock expiry when enabled", () => {
    const config = Either.getOrThrow(load({
      CLUSTER_ENABLED: "true",
      DATABASE_URL: "postgres://u@db:5432/wa",
      RUNNER_HOST: "127.0.0.1",
      RUNNER_PORT: "34500",
      RUNNER_ADVERTISE_HOST: "gw-1.internal",
      CLUSTER_SHARD_LOCK_EXPIRY_MS: "20000"
    }))
    expect(config.cluster).toEqual(Option.some({ runnerHost: "127.0.0.1", runnerPort: 34500, advertiseHost: "gw-1.internal", shardLockExpiryMs: 20_000 }))
  })

  it("refuses to start a cluster runner without PostgreSQL, saying why", () => {
    const config = load({ CLUSTER_ENABLED: "true" })
    expect(Either.isLeft(config)).toBe(true)
    if (Either.isLeft(config)) expect(config.left.message).toMatch(/CLUSTER_ENABLED: needs DATABASE_URL/)
  })

  it("refuses the simulator engine in a cluster, and a shard lock expiry out of range", () => {
    expect(Either.isLeft(load({ CLUSTER_ENABLED: "true", DATABASE_URL: "postgres://db/wa", WA_ENGINE: "simulator" }))).toBe(true)
    expect(Either.isLeft(load({ CLUSTER_ENABLED: "true", DATABASE_URL: "postgres://db/wa", CLUSTER_SHARD_LOCK_EXPIRY_MS: "500" }))).toBe(true)
  })
})
