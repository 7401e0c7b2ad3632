import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { freePort } from "./free-port.spec-helper.js"

// Gateway processes for process-level tests: `node --import tsx src/main.ts`
// from the repository root, as main.int.spec.ts starts one.

const root = resolve(import.meta.dirname, "../../..")

export interface GatewayProcess {
  readonly child: ChildProcess
  readonly baseUrl: string
  readonly output: () => string
  readonly exit: Promise<number | null>
  /** The process's DATA_DIR (a temporary one unless `DATA_DIR` was given). */
  readonly dataDir: string
  /** The API key a first start wrote to `<dataDir>/first-api-key`; throws if there is none. */
  readonly firstApiKey: () => string
}

const running = new Set<ChildProcess>()
const tempDirs = new Set<string>()

/** The key a first start wrote to `<dataDir>/first-api-key`, if it did. */
export const readFirstApiKey = (dataDir: string): string | undefined => {
  try {
    return /^wag_[A-Za-z0-9_-]{43}$/m.exec(readFileSync(join(dataDir, "first-api-key"), "utf8"))?.[0]
  } catch {
    return undefined
  }
}

/** Starts a gateway on a free port and waits until it answers `/healthz`. */
export const startGatewayProcess = async (env: Record<string, string>): Promise<GatewayProcess> => {
  const port = await freePort()
  let output = ""
  const dataDir = env["DATA_DIR"] ?? mkdtempSync(join(tmpdir(), "wa-gateway-process-"))
  if (env["DATA_DIR"] === undefined) tempDirs.add(dataDir)
  const child = spawn(process.execPath, ["--import", "tsx", "packages/http/src/main.ts"], {
    cwd: root,
    env: { PATH: process.env["PATH"] ?? "", PORT: String(port), HOST: "127.0.0.1", WA_ENGINE: "simulator", LOG_LEVEL: "warn", DATA_DIR: dataDir, ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  running.add(child)
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")))
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")))
  const exit = new Promise<number | null>((done) => child.once("exit", (code) => {
    running.delete(child)
    done(code)
  }))
  const baseUrl = `http://127.0.0.1:${port}`
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`exited early:\n${output}`)
    if (await fetch(`${baseUrl}/healthz`).then((r) => r.ok, () => false)) {
      const firstApiKey = () => {
        const key = readFirstApiKey(dataDir)
        if (key === undefined) throw new Error(`no first-start API key in ${dataDir}:\n${output}`)
        return key
      }
      return { child, baseUrl, output: () => output, exit, dataDir, firstApiKey }
    }
    await new Promise((wait) => setTimeout(wait, 200))
  }
  child.kill("SIGKILL")
  throw new Error(`not healthy in time:\n${output}`)
}

/** For `afterAll`: no test leaves a gateway process (or its temporary DATA_DIR) behind, whatever happened. */
export const killGatewayProcesses = async (): Promise<void> => {
  const exits = [...running].map((child) => new Promise<void>((done) => {
    child.once("exit", () => done())
    child.kill("SIGKILL")
  }))
  await Promise.all(exits)
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
  tempDirs.clear()
}
