import { type ChildProcess, spawn } from "node:child_process"
import { resolve } from "node:path"
import { freePort } from "./free-port.spec-helper.js"

// Gateway processes for process-level tests: `node --import tsx src/main.ts`
// from the repository root, as main.int.spec.ts starts one.

const root = resolve(import.meta.dirname, "../../..")

export interface GatewayProcess {
  readonly child: ChildProcess
  readonly baseUrl: string
  readonly output: () => string
  readonly exit: Promise<number | null>
}

const running = new Set<ChildProcess>()

/** Starts a gateway on a free port and waits until it answers `/healthz`. */
export const startGatewayProcess = async (env: Record<string, string>): Promise<GatewayProcess> => {
  const port = await freePort()
  let output = ""
  const child = spawn(process.execPath, ["--import", "tsx", "packages/http/src/main.ts"], {
    cwd: root,
    env: { PATH: process.env["PATH"] ?? "", PORT: String(port), HOST: "127.0.0.1", WA_ENGINE: "simulator", LOG_LEVEL: "warn", ...env },
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
    if (await fetch(`${baseUrl}/healthz`).then((r) => r.ok, () => false)) return { child, baseUrl, output: () => output, exit }
    await new Promise((wait) => setTimeout(wait, 200))
  }
  child.kill("SIGKILL")
  throw new Error(`not healthy in time:\n${output}`)
}

/** For `afterAll`: no test leaves a gateway process behind, whatever happened. */
export const killGatewayProcesses = async (): Promise<void> => {
  const exits = [...running].map((child) => new Promise<void>((done) => {
    child.once("exit", () => done())
    child.kill("SIGKILL")
  }))
  await Promise.all(exits)
}
