import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type StartedTestGateway, TestGateway } from "./test-gateway.js"

// One PGlite database for the file: creating one takes seconds.
let gateway: StartedTestGateway
beforeAll(async () => {
  gateway = await TestGateway.start({ store: "pglite" })
})
afterAll(async () => {
  await gateway.close()
})

describe("TestGateway on PGlite", () => {
  it("runs pairing by code and delete on the SQL store", async () => {
    const { sessionId } = await gateway.create({ name: "sql" })
    const { code } = await gateway.requestPairingCode(sessionId, "628123456789")
    const paired = await gateway.phone.enterCode(sessionId, { code, pushName: "Sql" })
    expect(paired).toMatchObject({ status: "paired", pushName: "Sql", phoneNumber: "628123456789" })
    expect((await gateway.events(sessionId)).map((e) => e.type)).toEqual(["SessionCreated", "PairingStarted", "SessionPaired"])
    await gateway.delete(sessionId)
    await expect(gateway.me(sessionId)).rejects.toMatchObject({ code: "not_found" })
  })
})
