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
  }, 60_000) // creating the PGlite database costs seconds, and more on a loaded machine

  it("refuses input the store cannot keep with validation_error, never unavailable", async () => {
    const gateway = await createGateway({ engine: "simulator", dataDir, seed: 9 })
    try {
      const invalid = { name: "GatewayOperationError", code: "validation_error" }
      await expect(gateway.create({ name: "a\u0000b" })).rejects.toMatchObject(invalid)
      await expect(gateway.create({ name: "\ud800" })).rejects.toMatchObject(invalid)
      await expect(gateway.forOrg("acme\u0000").create({ name: "x" })).rejects.toMatchObject(invalid)
      const { sessionId } = await gateway.create({ name: "pairing" })
      for (const createdAt of [new Date(Number.NaN), new Date(-8.64e15)]) {
        await expect(gateway.list({ after: { createdAt, sessionId } })).rejects.toMatchObject(invalid)
      }
      await gateway.startPairing(sessionId)
      await expect(gateway.phone.scan(sessionId, { phoneNumber: "628123456789", pushName: "a\u0000b" })).rejects.toMatchObject(invalid)
      expect((await gateway.get(sessionId)).status).toBe("pairing")
    } finally {
      await gateway.close()
    }
  })
})
