import { open, readFile, rm } from "node:fs/promises"
import { join } from "node:path"
import { StoreUnavailable } from "@wa-gateway/domain"
import { Effect, type Scope } from "effect"

const LOCK_FILE = "wa-gateway.lock"

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return typeof error === "object" && error !== null && "code" in error && error.code === "EPERM"
  }
}

const tryCreate = async (path: string): Promise<boolean> => {
  try {
    const handle = await open(path, "wx")
    await handle.writeFile(String(process.pid))
    await handle.close()
    return true
  } catch (error) {
    if (typeof error === "object" && error !== null && "code" in error && error.code === "EEXIST") return false
    throw error
  }
}

/**
 * PGlite is one process's database: a second process opening the same
 * directory sees stale data and can corrupt it, and PGlite itself leaves no
 * lock. Hold a pid file for the scope; a lock whose process is gone (kill -9)
 * is taken over.
 */
export const lockDataDir = (dataDir: string): Effect.Effect<void, StoreUnavailable, Scope.Scope> => {
  const path = join(dataDir, LOCK_FILE)
  const acquire = Effect.tryPromise({
    try: async () => {
      for (let attempt = 0; attempt < 2; attempt++) {
        if (await tryCreate(path)) return undefined
        const holder = Number((await readFile(path, "utf8").catch(() => "")).trim())
        if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) return holder
        await rm(path, { force: true })
      }
      throw new Error("could not take the lock")
    },
    catch: (cause) => new StoreUnavailable({ message: `could not lock the embedded store in ${dataDir}: ${String(cause)}` })
  }).pipe(Effect.flatMap((holder) =>
    holder === undefined ? Effect.void : Effect.fail(new StoreUnavailable({
      message: `the embedded store in ${dataDir} is in use by process ${holder}; stop that process first ` +
        "(an embedded database belongs to one process), or use DATABASE_URL for PostgreSQL"
    }))))
  return Effect.acquireRelease(acquire, () => Effect.promise(() => rm(path, { force: true })).pipe(Effect.ignore))
}
