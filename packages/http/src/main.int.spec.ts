import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { freePort } from "./free-port.spec-helper.js"
import { readFirstApiKey } from "./gateway-process.spec-helper.js"

// The standalone entry point as a real process: `node --import tsx src/main.ts`
// from the repository root (its tsconfig maps @wa-gateway/* to the sources).

const root = resolve(import.meta.dirname, "../../..")
const dataDirs: Array<string> = []
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true })
})

interface Run {
  readonly child: ChildProcess
  readonly output: () => string
  readonly exit: Promise<number | null>
}

const start = (env: Record<string, string>): Run => {
  let output = ""
  const child = spawn(process.execPath, ["--import", "tsx", "packages/http/src/main.ts"], {
    cwd: root,
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")))
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")))
  const exit = new Promise<number | null>((done) => child.once("exit", (code) => done(code)))
  return { child, output: () => output, exit }
}

const waitForHealth = async (port: number, run: Run) => {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (run.child.exitCode !== null) throw new Error(`exited early:\n${run.output()}`)
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)
    if (ok) return
    await new Promise((wait) => setTimeout(wait, 200))
  }
  throw new Error(`not healthy in time:\n${run.output()}`)
}

describe("the standalone server process", () => {
  it("serves on the embedded store with the simulator, writes a first key to DATA_DIR (never to the log), logs JSON, and exits 0 on SIGTERM", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "wa-gateway-main-"))
    dataDirs.push(dataDir)
    const port = await freePort()
    const run = start({ PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, WA_ENGINE: "simulator" })
    await waitForHealth(port, run)

    const key = readFirstApiKey(dataDir)
    expect(key, run.output()).toBeDefined()
    expect(run.output()).not.toMatch(/wag_[A-Za-z0-9_-]{43}/)
    expect(run.output()).toContain(join(dataDir, "first-api-key"))
    const created = await fetch(`http://127.0.0.1:${port}/api/v1/sessions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}` }
    })
    expect(created.status).toBe(201)
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200)

    run.child.kill("SIGTERM")
    expect(await run.exit).toBe(0)
    const lines = run.output().trim().split("\n")
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow()
    expect(lines.some((line) => JSON.parse(line).message === "request")).toBe(true)
  }, 120_000)

  it("runs the baileys engine by default: with no route to its WhatsApp server, /qr answers 503 in the envelope within 30 s and the server stays up", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "wa-gateway-main-"))
    dataDirs.push(dataDir)
    const port = await freePort()
    // A port nothing listens on stands for "no route to WhatsApp" (no test may reach the real one).
    const run = start({ PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, WA_SERVER_URL: "ws://127.0.0.1:1" })
    try {
      await waitForHealth(port, run)
      const key = readFirstApiKey(dataDir)
      const headers = { authorization: `Bearer ${key}` }
      const { sessionId } = await (await fetch(`http://127.0.0.1:${port}/api/v1/sessions`, { method: "POST", headers })).json() as { sessionId: string }

      const started = Date.now()
      const qr = await fetch(`http://127.0.0.1:${port}/api/v1/sessions/${sessionId}/qr`, { headers })
      expect(Date.now() - started).toBeLessThan(30_000)
      expect(qr.status).toBe(503)
      expect(await qr.json()).toMatchObject({ error: { code: "unavailable", details: {} } })
      const ready = await (await fetch(`http://127.0.0.1:${port}/readyz`)).json() as { engine: string; warnings: Array<string> }
      expect(ready).toMatchObject({ engine: "baileys", warnings: [expect.stringContaining("WA_SERVER_URL is set")] })
      // The test server is a loud warning in the log from the start.
      const warning = run.output().split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as { logLevel?: string; message?: string })
        .find((line) => line.message?.includes("WA_SERVER_URL is set"))
      expect(warning?.logLevel).toBe("WARN")

      run.child.kill("SIGTERM")
      expect(await run.exit).toBe(0)
    } finally {
      // A failed expectation must not leave the server running.
      if (run.child.exitCode === null) run.child.kill("SIGKILL")
    }
  }, 120_000)

  // Each variable's rule is in config.unit.spec.ts; this checks the process reports it and exits 1.
  it("refuses an invalid configuration with a clear message and exit code 1", async () => {
    const run = start({ PORT: "not-a-port", DATA_DIR: join(tmpdir(), "wa-gateway-never-created") })
    expect(await run.exit).toBe(1)
    expect(run.output()).toMatch(/invalid configuration: PORT: /)
  }, 60_000)
})
