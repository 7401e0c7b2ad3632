import { WA_CERT_DETAILS } from "@whiskeysockets/baileys"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { connectClient, freshAuth, type StoredAuth, type TestClient } from "./baileys-client.spec-helper.js"
import { startControlApi, type ControlApi } from "./control-api.js"
import { startFakeWhatsApp, type FakeWhatsApp } from "./server.js"

const realRoot = WA_CERT_DETAILS.PUBLIC_KEY
let fake: FakeWhatsApp
let control: ControlApi
const clients: Array<TestClient> = []

beforeAll(async () => {
  fake = await startFakeWhatsApp({ closeGraceMs: 1_000, timeoutMs: 5_000 })
  control = await startControlApi(fake)
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(fake.certRoot, "base64")
})

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.end()))
})

afterAll(async () => {
  WA_CERT_DETAILS.PUBLIC_KEY = realRoot
  await control.close()
  await fake.close()
})

const connect = (auth: StoredAuth): TestClient => {
  const client = connectClient({ url: fake.url, auth })
  clients.push(client)
  return client
}

const call = async (method: "GET" | "POST", path: string, body?: unknown): Promise<{ readonly status: number; readonly json: unknown }> => {
  const response = await fetch(`${control.url}${path}`, {
    method,
    signal: AbortSignal.timeout(10_000),
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) })
  })
  return { status: response.status, json: await response.json() }
}

describe("control API of the fake WhatsApp", () => {
  it("gives the gateway's variables, scans a QR, lists the device and unlinks it", async () => {
    expect(await call("GET", "/")).toMatchObject({ status: 200, json: { WA_SERVER_URL: fake.url, WA_SERVER_CERT_ROOT: fake.certRoot } })

    const auth = freshAuth()
    const pairing = connect(auth)
    const qr = await pairing.qr()
    expect((await call("GET", "/pairings")).json).toMatchObject([{ refs: expect.arrayContaining([qr.split("#")[1]?.split(",")[0]]), codeRequestedFor: null }])

    const scanned = await call("POST", "/phone:scan", { qr, phoneNumber: "628123456789", pushName: "Acme" })
    expect(scanned).toMatchObject({ status: 200, json: { jid: "628123456789:1@s.whatsapp.net", pushName: "Acme", linked: true } })
    expect(await pairing.closed()).toBe(515)
    const client = connect(auth)
    await client.opened()

    const listed = await call("GET", "/devices")
    expect(listed.json).toMatchObject([{ jid: "628123456789:1@s.whatsapp.net", openConnections: 1, logins: 1 }])
    const unlinked = await call("POST", `/devices/${encodeURIComponent("628123456789:1@s.whatsapp.net")}:unlink`)
    expect(unlinked).toMatchObject({ status: 200, json: { linked: false } })
    expect(await client.closed()).toBe(401)
  })

  it("answers errors in the gateway's envelope", async () => {
    expect(await call("POST", "/phone:scan", "{")).toMatchObject({ status: 400, json: { error: { code: "validation_error" } } })
    expect(await call("POST", "/phone:scan", { qr: "nope", phoneNumber: "628123456789" })).toMatchObject({
      status: 400,
      json: { error: { code: "invalid_qr" } }
    })
    expect(await call("POST", "/devices/620000000000:ban")).toMatchObject({ status: 404, json: { error: { code: "unknown_device" } } })
    expect(await call("POST", "/devices/628123456789:refuseLogins", { count: -1 })).toMatchObject({ status: 400 })
    expect(await call("GET", "/nothing")).toMatchObject({ status: 404, json: { error: { code: "not_found" } } })
  })
})
