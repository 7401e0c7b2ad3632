import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createGateway } from "./create-gateway.js"

// One PGlite directory for the file: creating a database costs seconds, reopening it well under one.
let dataDir = ""
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "wa-gateway-create-gateway-"))
})
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true })
})

describe("createGateway on PGlite", () => {
  it("persists sessions in dataDir and resumes paired ones when reopened", async () => {
    const first = await createGateway({ engine: "simulator", dataDir, seed: 9 })
    const paired = await first.create({ name: "kept" })
    await first.startPairing(paired.sessionId)
    await first.phone.scan(paired.sessionId, { phoneNumber: "628123456789", pushName: "Kept" })
    const pairing = await first.create({ name: "half-way" })
    await first.startPairing(pairing.sessionId)
    await first.close()

    const second = await createGateway({ engine: "simulator", dataDir, seed: 9 })
    try {
      // Paired sessions reconnect on boot (the engine reports it a moment later); a pairing cut short by the restart has expired.
      let resumed = await second.get(paired.sessionId)
      for (let i = 0; i < 100 && !resumed.connected; i++) {
        await new Promise((resolve) => setImmediate(resolve))
        resumed = await second.get(paired.sessionId)
      }
      expect(resumed).toMatchObject({ status: "paired", connected: true, pushName: "Kept" })
      expect((await second.get(pairing.sessionId)).status).toBe("unpaired")
      expect((await second.events(pairing.sessionId)).at(-1)).toMatchObject({ type: "PairingFailed", data: { reason: "expired" } })
      expect((await second.me(paired.sessionId)).phoneNumber).toBe("628123456789")
      await second.delete(paired.sessionId)
      await expect(second.get(paired.sessionId)).rejects.toMatchObject({ code: "not_found" })
    } finally {
      await second.close()
    }
  })
})
