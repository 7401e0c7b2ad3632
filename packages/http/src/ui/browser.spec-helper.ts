import { execFile } from "node:child_process"
import { mkdir, mkdtemp, rm } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { type BrowserContext, chromium } from "playwright-core"

/** Where browser tests leave their screenshots (git-ignored), for a person to look at. */
export const REPORTS_DIR = fileURLToPath(new URL("../../../../reports/ui/", import.meta.url))

/** Debian's chromium (`.ci/run` installs it when missing). */
export const CHROMIUM = "/usr/bin/chromium"

// Without the background-networking flags, a machine with no way out makes
// Chromium retry its own connections (updates, sync, QUIC) over and over.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
]

export interface Browser {
  readonly context: BrowserContext
  /** Closes the browser and removes its profile. */
  readonly close: () => Promise<void>
}

/** A headless Chromium with a fresh profile of its own. */
export const launchChromium = async (options: { readonly colorScheme?: "light" | "dark" } = {}): Promise<Browser> => {
  const profile = await mkdtemp(join(tmpdir(), "wa-gateway-ui-"))
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      colorScheme: options.colorScheme ?? "light"
    })
    return {
      context,
      close: async () => {
        await context.close()
        await rm(profile, { recursive: true, force: true })
      }
    }
  } catch (error) {
    await rm(profile, { recursive: true, force: true })
    throw error
  }
}

const require = createRequire(import.meta.url)
const APP_TSCONFIG = fileURLToPath(new URL("./app/tsconfig.json", import.meta.url))

/**
 * Compiles the page (`tsc -b`, a no-op when it is current), so a browser test
 * runs this checkout's page, never a stale build; makes the reports folder.
 */
export const buildDashboard = async (): Promise<void> => {
  await Promise.all([
    promisify(execFile)(process.execPath, [require.resolve("typescript/bin/tsc"), "-b", APP_TSCONFIG]),
    mkdir(REPORTS_DIR, { recursive: true })
  ])
}
