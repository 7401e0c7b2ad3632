import { defineWorkspace } from "vitest/config"
import { workspaceAliases } from "./vitest.shared.js"

const project = (name: string, extra: { testTimeout?: number; hookTimeout?: number } = {}) => ({
  resolve: { alias: workspaceAliases },
  test: {
    name,
    root: `./packages/${name}`,
    include: ["src/**/*.spec.ts"],
    environment: "node",
    testTimeout: extra.testTimeout ?? 30_000,
    hookTimeout: extra.hookTimeout ?? 60_000
  }
})

export default defineWorkspace([
  project("domain"),
  project("adapters", { testTimeout: 60_000, hookTimeout: 120_000 }),
  project("http", { testTimeout: 60_000, hookTimeout: 120_000 }),
  project("testkit", { testTimeout: 60_000, hookTimeout: 120_000 })
])
