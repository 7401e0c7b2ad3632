import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"
import { workspaceAliases } from "../../vitest.shared.js"

/**
 * The domain's tests alone, for Stryker (`stryker.config.json`). A config in
 * the repository root would pick up vitest.workspace.ts and run every package.
 */
export default defineConfig({
  resolve: { alias: workspaceAliases },
  test: {
    name: "domain",
    root: fileURLToPath(new URL(".", import.meta.url)),
    include: ["src/**/*.spec.ts"],
    environment: "node",
    testTimeout: 30_000,
    // The domain has no module state to leak between files; sharing the module
    // graph saves re-importing effect for every file on every mutant.
    isolate: false,
    setupFiles: ["./vitest.mutation-setup.ts"]
  }
})
