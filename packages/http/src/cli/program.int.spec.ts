import { execFile } from "node:child_process"
import { randomBytes } from "node:crypto"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { NodeContext } from "@effect/platform-node"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { ConfigProvider, Effect, Exit, Layer, Redacted } from "effect"
import pg from "pg"
import { ApiKeyStoreSql, SqlDatabase } from "@wa-gateway/adapters"
import { ApiKeys } from "../auth/api-keys.js"
import { gatewayCli } from "./program.js"

// The `gateway` CLI against PostgreSQL, in a database of its own (the CLI,
// like the server, uses the default schema of DATABASE_URL).

const adminUrl = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"
const database = `wa_cli_${randomBytes(6).toString("hex")}`
const databaseUrl = (() => {
  const url = new URL(adminUrl)
  url.pathname = `/${database}`
  return url.toString()
})()

const admin = async (statement: string) => {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

beforeAll(async () => {
  await admin(`create database "${database}"`)
})

afterAll(async () => {
  await admin(`drop database if exists "${database}" with (force)`)
})

interface Run {
  readonly ok: boolean
  readonly stdout: ReadonlyArray<string>
  readonly stderr: ReadonlyArray<string>
}

/** Runs the CLI in this process with DATABASE_URL set, capturing what it prints. */
const gateway = (...args: ReadonlyArray<string>): Promise<Run> => gatewayOn(databaseUrl, args)

const gatewayOn = async (url: string, args: ReadonlyArray<string>): Promise<Run> => {
  const stdout: Array<string> = []
  const stderr: Array<string> = []
  const log = vi.spyOn(console, "log").mockImplementation((...parts: Array<unknown>) => void stdout.push(parts.join(" ")))
  const error = vi.spyOn(console, "error").mockImplementation((...parts: Array<unknown>) => void stderr.push(parts.join(" ")))
  try {
    const exit = await Effect.runPromiseExit(
      gatewayCli(["node", "gateway", ...args]).pipe(
        Effect.provide(NodeContext.layer),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["DATABASE_URL", url]])))
      )
    )
    return { ok: Exit.isSuccess(exit), stdout, stderr }
  } finally {
    log.mockRestore()
    error.mockRestore()
  }
}

const verifyKey = (key: string) =>
  Effect.runPromise(
    Effect.flatMap(ApiKeys, (apiKeys) => Effect.either(apiKeys.verify(Redacted.make(key)))).pipe(
      Effect.provide(ApiKeys.Live.pipe(Layer.provide(ApiKeyStoreSql), Layer.provide(SqlDatabase.postgres({ url: databaseUrl, poolSize: 1 }))))
    )
  )

describe("gateway CLI", () => {
  it("migrate creates the schema", async () => {
    const run = await gateway("migrate")
    expect(run.ok, run.stderr.join("\n")).toBe(true)
    expect(run.stdout.join("\n")).toMatch(/^postgres database is up to date/)
  })

  it("api-keys create prints the key once, alone on the last line, and that key authenticates", async () => {
    const run = await gateway("api-keys", "create", "--org", "acme", "--capability", "manage", "--capability", "read", "--label", "ci bot")
    expect(run.ok, run.stderr.join("\n")).toBe(true)
    const key = run.stdout.at(-1) ?? ""
    expect(key).toMatch(/^wag_[A-Za-z0-9_-]{43}$/)
    expect(run.stdout.filter((line) => line.includes(key))).toEqual([key])
    const principal = await verifyKey(key)
    expect(principal._tag).toBe("Right")
    if (principal._tag === "Right") {
      expect(principal.right.orgId).toBe("acme")
      expect([...principal.right.capabilities].sort()).toEqual(["manage", "read"])
    }
  })

  it("api-keys list shows an org's keys without their secrets", async () => {
    const created = await gateway("api-keys", "create", "--org", "initech", "--capability", "read", "--label", "reporting")
    const key = created.stdout.at(-1) ?? ""
    const listed = await gateway("api-keys", "list", "--org", "initech")
    expect(listed.ok).toBe(true)
    expect(listed.stdout).toHaveLength(1)
    expect(listed.stdout[0]).toMatch(/^key_\S+ {2}capabilities=read {2}.*active {2}label="reporting"$/)
    expect(listed.stdout.join("\n")).not.toContain(key.slice(4))
    expect((await gateway("api-keys", "list", "--org", "nobody")).stdout).toEqual(["no API keys for org nobody"])
  })

  it("api-keys revoke makes the key fail; revoking again or an unknown id exits non-zero", async () => {
    const created = await gateway("api-keys", "create", "--org", "globex", "--capability", "read")
    const key = created.stdout.at(-1) ?? ""
    const id = (await gateway("api-keys", "list", "--org", "globex")).stdout[0]?.split(" ")[0] ?? ""
    const revoked = await gateway("api-keys", "revoke", id)
    expect(revoked.ok, revoked.stderr.join("\n")).toBe(true)
    expect(revoked.stdout).toEqual([`revoked ${id}`])
    expect((await verifyKey(key))._tag).toBe("Left")
    const again = await gateway("api-keys", "revoke", id)
    expect(again.ok).toBe(false)
    expect(again.stderr).toEqual([`no active API key with id ${id}`])
    expect((await gateway("api-keys", "revoke", "key_unknown")).ok).toBe(false)
  })

  it("create without a capability, with an unknown one, or with an empty org is refused and prints no key", async () => {
    for (const args of [["--org", "acme"], ["--org", "acme", "--capability", "admin"], ["--org", "", "--capability", "read"]]) {
      const run = await gateway("api-keys", "create", ...args)
      expect(run.ok).toBe(false)
      expect(run.stdout.join("\n")).not.toMatch(/wag_/)
    }
  })

  it("an unreachable database is explained in one line and exits non-zero", async () => {
    const run = await gatewayOn("postgres://postgres@127.0.0.1:1/none", ["api-keys", "list", "--org", "acme"])
    expect(run.ok).toBe(false)
    expect(run.stderr).toEqual(["store unavailable: could not migrate the database"])
  })
})

describe("gateway CLI entry point", () => {
  const root = fileURLToPath(new URL("../../../../", import.meta.url))

  it("`gateway api-keys create` in its own process ends with the key line and exits 0", async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        join(root, "node_modules/.bin/tsx"),
        ["--tsconfig", join(root, "tsconfig.json"), join(root, "packages/http/src/cli.ts"), "api-keys", "create", "--org", "acme", "--capability", "read"],
        { cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl }, timeout: 150_000 },
        (error, out, err) => resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout: out, stderr: err })
      ))
    expect(code, stderr).toBe(0)
    expect(stdout.endsWith("\n")).toBe(true)
    expect(stdout.trimEnd().split("\n").at(-1)).toMatch(/^wag_[A-Za-z0-9_-]{43}$/)
  }, 180_000)
})
