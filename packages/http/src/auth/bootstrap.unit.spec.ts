import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it, vi } from "@effect/vitest"
import { Effect, Layer, Logger, Option, Redacted, Ref } from "effect"
import { OrgId } from "@wa-gateway/domain"
import { ApiKeyStore, ApiKeyStoreMemory } from "@wa-gateway/adapters"
import { ApiKeys } from "./api-keys.js"
import { bootstrapApiKey, FIRST_API_KEY_FILE } from "./bootstrap.js"

const dirs: Array<string> = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "wa-gateway-bootstrap-"))
  dirs.push(dir)
  return dir
}

const noJwks = (dataDir: string) => ({ jwksUrl: Option.none<URL>(), dataDir })
const withJwks = (dataDir: string) => ({ jwksUrl: Option.some(new URL("https://id.example/.well-known/jwks.json")), dataDir })

/** Runs with fresh stores and returns what was logged alongside the result. */
const run = <A, E>(program: Effect.Effect<A, E, ApiKeys | ApiKeyStore>) =>
  Effect.gen(function* () {
    const lines = yield* Ref.make<ReadonlyArray<string>>([])
    const capture = Logger.make(({ message }) => {
      const text = (Array.isArray(message) ? message : [message]).map(String).join(" ")
      Effect.runSync(Ref.update(lines, (all) => [...all, text]))
    })
    const result = yield* program.pipe(
      Effect.provide(ApiKeys.Live.pipe(Layer.provideMerge(ApiKeyStoreMemory))),
      Effect.provide(Logger.replace(Logger.defaultLogger, capture))
    )
    return { result, logs: yield* Ref.get(lines) }
  })

describe("first-start API key", () => {
  it.effect("with no key and no JWKS, one key for org default with both capabilities is created and written to an owner-only file whose path is logged, never the key", () =>
    Effect.gen(function* () {
      const dataDir = join(freshDir(), "not-yet")
      const { result, logs } = yield* run(Effect.gen(function* () {
        const first = yield* bootstrapApiKey(noJwks(dataDir))
        const second = yield* bootstrapApiKey(noJwks(dataDir))
        const key = Option.getOrThrow(first)
        const principal = yield* Effect.flatMap(ApiKeys, (apiKeys) => apiKeys.verify(key))
        const listed = yield* Effect.flatMap(ApiKeys, (apiKeys) => apiKeys.list(OrgId.make("default")))
        return { key: Redacted.value(key), second, principal, listed }
      }))
      expect(Option.isNone(result.second)).toBe(true)
      expect(result.principal.orgId).toBe("default")
      expect([...result.principal.capabilities].sort()).toEqual(["manage", "read"])
      expect(result.listed).toHaveLength(1)
      const file = join(dataDir, FIRST_API_KEY_FILE)
      expect(readFileSync(file, "utf8")).toBe(`${result.key}\n`)
      expect(statSync(file).mode & 0o777).toBe(0o600)
      expect(logs).toHaveLength(1)
      expect(logs[0]).toContain(file)
      expect(logs.join("\n")).not.toContain(result.key)
    }))

  it.effect("a file or link already at the path is replaced, never written through", () =>
    Effect.gen(function* () {
      const dataDir = freshDir()
      const elsewhere = join(freshDir(), "victim")
      writeFileSync(elsewhere, "untouched")
      symlinkSync(elsewhere, join(dataDir, FIRST_API_KEY_FILE))
      const { result } = yield* run(Effect.map(bootstrapApiKey(noJwks(dataDir)), (key) => Redacted.value(Option.getOrThrow(key))))
      expect(readFileSync(elsewhere, "utf8")).toBe("untouched")
      expect(readFileSync(join(dataDir, FIRST_API_KEY_FILE), "utf8")).toBe(`${result}\n`)
    }))

  it.effect("when the file cannot be written, the key goes to stderr outside the log, and the log says so without it", () =>
    Effect.gen(function* () {
      const blocker = join(freshDir(), "a-file")
      writeFileSync(blocker, "")
      const written: Array<string> = []
      const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
        written.push(String(chunk))
        return true
      })
      const { result, logs } = yield* run(Effect.map(bootstrapApiKey(noJwks(join(blocker, "data"))), (key) => Redacted.value(Option.getOrThrow(key)))).pipe(
        Effect.ensuring(Effect.sync(() => spy.mockRestore()))
      )
      expect(written.join("")).toContain(result)
      expect(logs).toHaveLength(1)
      expect(logs[0]).toContain("printed once on stderr")
      expect(logs.join("\n")).not.toContain(result)
    }))

  it.effect("with a JWKS configured, no key is created", () =>
    Effect.gen(function* () {
      const { result, logs } = yield* run(Effect.gen(function* () {
        const created = yield* bootstrapApiKey(withJwks(freshDir()))
        const empty = yield* Effect.flatMap(ApiKeyStore, (store) => store.isEmpty)
        return { created, empty }
      }))
      expect(Option.isNone(result.created)).toBe(true)
      expect(result.empty).toBe(true)
      expect(logs).toEqual([])
    }))

  it.effect("when any key exists, none is created", () =>
    Effect.gen(function* () {
      const { result } = yield* run(Effect.gen(function* () {
        yield* Effect.flatMap(ApiKeys, (apiKeys) =>
          apiKeys.create({ orgId: OrgId.make("acme"), capabilities: ["read"], label: null }))
        const created = yield* bootstrapApiKey(noJwks(freshDir()))
        const defaults = yield* Effect.flatMap(ApiKeys, (apiKeys) => apiKeys.list(OrgId.make("default")))
        return { created, defaults }
      }))
      expect(Option.isNone(result.created)).toBe(true)
      expect(result.defaults).toEqual([])
    }))
})
