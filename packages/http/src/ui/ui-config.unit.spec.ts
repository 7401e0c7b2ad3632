import { ConfigProvider, Effect, Either } from "effect"
import { describe, expect, it } from "vitest"
import { loadServerConfig } from "../config.js"

const uiEnabled = (env: Record<string, string>) =>
  Effect.runSync(
    Effect.either(Effect.withConfigProvider(loadServerConfig, ConfigProvider.fromMap(new Map(Object.entries(env)))))
  ).pipe(Either.map((config) => config.uiEnabled))

describe("UI_ENABLED", () => {
  it("serves the dashboard by default; false turns it off", () => {
    expect(uiEnabled({})).toEqual(Either.right(true))
    expect(uiEnabled({ UI_ENABLED: "false" })).toEqual(Either.right(false))
    expect(uiEnabled({ UI_ENABLED: "true" })).toEqual(Either.right(true))
  })

  it("refuses a value that is not a boolean, naming the variable", () => {
    const result = uiEnabled({ UI_ENABLED: "sometimes" })
    expect(Either.isLeft(result) && result.left.message).toMatch(/UI_ENABLED/)
  })
})
