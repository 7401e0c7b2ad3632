import { Curve, WA_CERT_DETAILS } from "@whiskeysockets/baileys"
import { verify as xeddsaVerify } from "curve25519-js"
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest"
import { WebSocket } from "ws"
import { connectClient, freshAuth, reloadedCreds, type StoredAuth, type TestClient } from "./baileys-client.spec-helper.js"
import { FakeWhatsAppError } from "./errors.js"
import { startFakeWhatsApp, type FakeWhatsApp, type FakeWhatsAppOptions } from "./server.js"

// Baileys is ESM-only and reads WA_CERT_DETAILS at handshake time: set on the very module instance the
// sockets use (imported by its one path), restored after the file.
const realRoot = WA_CERT_DETAILS.PUBLIC_KEY
const unpatchedVerify = Curve.verify

let fake: FakeWhatsApp
const fakes: Array<FakeWhatsApp> = []
const clients: Array<TestClient> = []

const startFake = async (options: FakeWhatsAppOptions = {}): Promise<FakeWhatsApp> => {
  const started = await startFakeWhatsApp({ closeGraceMs: 1_000, timeoutMs: 5_000, ...options })
  fakes.push(started)
  return started
}

const logLines: Array<string> = []

beforeAll(async () => {
  fake = await startFake({ log: (line) => logLines.push(line) })
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(fake.certRoot, "base64")
})

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.end()))
  Curve.verify = unpatchedVerify
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(fake.certRoot, "base64")
})

afterAll(async () => {
  WA_CERT_DETAILS.PUBLIC_KEY = realRoot
  await Promise.all(fakes.map((f) => f.close()))
})

let nextPhone = 0
/** A phone number of its own for each test, so tests never find each other's devices. */
const newPhoneNumber = (): string => `6281200${String(++nextPhone).padStart(5, "0")}`

const connect = (auth: StoredAuth, options: { readonly url?: string; readonly qrTimeout?: number } = {}): TestClient => {
  const client = connectClient({ url: options.url ?? fake.url, auth, ...(options.qrTimeout === undefined ? {} : { qrTimeout: options.qrTimeout }) })
  clients.push(client)
  return client
}

/** A new device paired by QR and logged in on its second socket, as after WhatsApp's 515. */
const pairByQr = async (phoneNumber = newPhoneNumber(), pushName?: string) => {
  const auth = freshAuth()
  const pairing = connect(auth)
  const device = await fake.phone.scan(await pairing.qr(), { phoneNumber, ...(pushName === undefined ? {} : { pushName }) })
  expect(await pairing.closed()).toBe(515)
  const client = connect(auth)
  await client.opened()
  return { auth, device, client }
}

/** As a restarted process would: the stored creds, read back, on a new socket. */
const reconnect = (auth: StoredAuth): TestClient => {
  auth.creds = reloadedCreds(auth)
  return connect(auth)
}

/** libsignal's verifySignature without the Baileys wrapper that turns its `false` into `true`. */
const honouringVerify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean =>
  xeddsaVerify(publicKey.length === 33 ? publicKey.subarray(1) : publicKey, message, signature)

describe("fake WhatsApp with the real Baileys client", () => {
  it("pairs by QR: qr, the phone scans, 515, reconnect, open; creds.me has the device's JID, LID and name", async () => {
    const phoneNumber = newPhoneNumber()
    const auth = freshAuth()
    const pairing = connect(auth)
    const qr = await pairing.qr()
    expect(qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#2@/)
    expect(fake.pendingPairings.map((p) => p.refs[0])).toContain(qr.slice(qr.indexOf("#") + 1).split(",")[0])

    const device = await fake.phone.scan(qr, { phoneNumber, pushName: "Acme Support" })
    expect(device.jid).toMatch(new RegExp(`^${phoneNumber}:1@s\\.whatsapp\\.net$`))
    expect(device.lid).toMatch(/^\d{15}:1@lid$/)
    expect(await pairing.closed()).toBe(515)
    expect(auth.creds.me).toMatchObject({ id: device.jid, lid: device.lid, name: "Acme Support" })
    expect(auth.creds.account?.accountSignatureKey).toBeDefined()

    const client = connect(auth)
    await client.opened()
    expect(client.updates.some((u) => u.qr !== undefined)).toBe(false)
    expect(auth.creds.me).toMatchObject({ id: device.jid, lid: device.lid, name: "Acme Support" })
    expect(fake.device(phoneNumber).jid).toBe(device.jid)
    expect(fake.device(device.lid).jid).toBe(device.jid)
    expect({ total: device.totalConnections, open: device.openConnections, logins: device.logins }).toEqual({ total: 2, open: 1, logins: 1 })
    device.assertAtMostOneConnection()
  })

  it("pairs by code, requested after the first qr; the code is entered with its dash", async () => {
    const phoneNumber = newPhoneNumber()
    const auth = freshAuth()
    const pairing = connect(auth)
    await pairing.qr()
    const code = await pairing.socket.requestPairingCode(phoneNumber)
    expect(code).toMatch(/^[1-9A-HJ-NP-TV-Z]{8}$/)

    const device = await fake.phone.enterCode(`${code.slice(0, 4)}-${code.slice(4)}`, { phoneNumber, pushName: "Code Line" })
    expect(await pairing.closed()).toBe(515)
    expect(auth.creds.registered).toBe(true)
    const client = connect(auth)
    await client.opened()
    expect(auth.creds.me).toMatchObject({ id: device.jid, lid: device.lid, name: "Code Line" })
  })

  it("refuses a wrong code at companion_finish, links nothing, and takes the right code afterwards", async () => {
    const phoneNumber = newPhoneNumber()
    const auth = freshAuth()
    const pairing = connect(auth)
    await pairing.qr()
    const code = await pairing.socket.requestPairingCode(phoneNumber)
    const wrong = code.startsWith("A") ? `B${code.slice(1)}` : `A${code.slice(1)}`

    const refused = await fake.phone.enterCode(wrong, { phoneNumber }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(FakeWhatsAppError)
    expect(refused).toMatchObject({ reason: "wrong_code" })
    expect(fake.findDevice(phoneNumber)).toBeUndefined()

    const device = await fake.phone.enterCode(code, { phoneNumber })
    expect(await pairing.closed()).toBe(515)
    expect(device.jid).toMatch(new RegExp(`^${phoneNumber}:1@`))
  })

  it("after a code was entered, even a wrong one, the same socket's QR no longer pairs: Baileys replaced its advSecret", async () => {
    const phoneNumber = newPhoneNumber()
    const pairing = connect(freshAuth())
    const qr = await pairing.qr()
    const code = await pairing.socket.requestPairingCode(phoneNumber)
    const wrong = code.startsWith("A") ? `B${code.slice(1)}` : `A${code.slice(1)}`
    await expect(fake.phone.enterCode(wrong, { phoneNumber })).rejects.toMatchObject({ reason: "wrong_code" })
    await expect(fake.phone.scan(qr, { phoneNumber })).rejects.toMatchObject({ reason: "pairing_refused" })
    expect(await pairing.closed()).toBe(500)
    expect(pairing.updates.find((u) => u.connection === "close")?.lastDisconnect?.error?.message).toBe("Invalid account signature")
  })

  it("logs a paired device in again with its stored creds on a new socket, without a QR", async () => {
    const { auth, device, client } = await pairByQr()
    await device.waitForLogin({ timeoutMs: 1_000 })
    await client.end()
    const secondLogin = device.waitForLogin({ count: 2, timeoutMs: 5_000 })
    const restarted = reconnect(auth)
    await secondLogin
    await restarted.opened()
    expect(restarted.updates.some((u) => u.qr !== undefined)).toBe(false)
    await expect(device.waitForLogin({ count: 3, timeoutMs: 50 })).rejects.toMatchObject({ reason: "timeout" })
    expect({ total: device.totalConnections, logins: device.logins, open: device.openConnections }).toEqual({ total: 3, logins: 2, open: 1 })
    device.assertAtMostOneConnection()
  })

  it("a client whose creds carry routing info (the ED 00 01 intro) logs in", async () => {
    const { auth, device, client } = await pairByQr()
    await client.end()
    auth.creds.routingInfo = Buffer.from("routing info of the edge server")
    await connect(auth).opened()
    expect(device.logins).toBe(2)
    const login = device.connections.at(-1)?.connectionId
    expect(logLines).toContain(`connection ${login}: intro with routing info (31 bytes)`)
  })

  it("unlink closes with 401 (device_removed) and refuses later logins with 401", async () => {
    const { auth, device, client } = await pairByQr()
    await device.unlink()
    expect(await client.closed()).toBe(401)
    expect(device.linked).toBe(false)
    expect(await reconnect(auth).closed()).toBe(401)
    expect(device.connections.at(-1)?.refusedWith).toBe(401)
  })

  it("replace closes with 440 and the device stays linked", async () => {
    const { auth, device, client } = await pairByQr()
    await device.replace()
    expect(await client.closed()).toBe(440)
    expect(device.linked).toBe(true)
    await reconnect(auth).opened()
    device.assertAtMostOneConnection()
  })

  it("a second login of the same device replaces the first with 440, recorded as two sockets open at once", async () => {
    const { auth, device, client } = await pairByQr()
    const second = connectClient({ url: fake.url, auth: { creds: reloadedCreds(auth), keys: auth.keys } })
    clients.push(second)
    await second.opened()
    expect(await client.closed()).toBe(440)
    expect(device.overlaps).toHaveLength(1)
    expect(() => device.assertAtMostOneConnection()).toThrow(/two sockets open at once/)
    expect(() => fake.assertAtMostOneConnection()).toThrow(device.jid)
  })

  it("ban closes with 403 and refuses later logins with 403", async () => {
    const { auth, device, client } = await pairByQr()
    await device.ban()
    expect(await client.closed()).toBe(403)
    expect(device.banned).toBe(true)
    expect(await reconnect(auth).closed()).toBe(403)
  })

  it("refuseLogins(2): two logins fail with 503, the third opens", async () => {
    const { auth, device, client } = await pairByQr()
    await client.end()
    device.refuseLogins(2)
    expect(await reconnect(auth).closed()).toBe(503)
    expect(await reconnect(auth).closed()).toBe(503)
    await reconnect(auth).opened()
    expect(device.connections.map((c) => c.refusedWith ?? (c.loggedIn ? "in" : c.kind))).toEqual(["pairing", "in", 503, 503, "in"])
    device.assertAtMostOneConnection()
  })

  it("dropConnection closes the socket without a stream error (Baileys reports 428)", async () => {
    const { device, client } = await pairByQr()
    await device.dropConnection()
    expect(await client.closed()).toBe(428)
    const closing = client.updates.find((u) => u.connection === "close")
    expect(closing?.lastDisconnect?.error?.message).toBe("Connection Terminated")
    expect(device.openConnections).toBe(0)
    expect(device.linked).toBe(true)
  })

  it("sock.logout() removes the device on the fake's side", async () => {
    const { auth, device, client } = await pairByQr()
    await client.socket.logout()
    expect(await client.closed()).toBe(401)
    await vi.waitFor(() => expect(device.linked).toBe(false), { timeout: 5_000 })
    expect(await reconnect(auth).closed()).toBe(401)
  })

  it("refuses with 401 the login that half-made creds send after requestPairingCode (device 0)", async () => {
    const phoneNumber = newPhoneNumber()
    const auth = freshAuth()
    const pairing = connect(auth)
    await pairing.qr()
    await pairing.socket.requestPairingCode(phoneNumber)
    expect(auth.creds.me?.id).toBe(`${phoneNumber}@s.whatsapp.net`)
    await pairing.end()
    expect(await reconnect(auth).closed()).toBe(401)
  })

  it("the phone refuses a QR that is not one, and a QR whose socket has closed", async () => {
    const phoneNumber = newPhoneNumber()
    await expect(fake.phone.scan("not a qr", { phoneNumber })).rejects.toMatchObject({ reason: "invalid_qr" })
    const pairing = connect(freshAuth())
    const qr = await pairing.qr()
    await pairing.end()
    await vi.waitFor(() => expect(fake.pendingPairings.some((p) => qr.includes(p.refs[0] ?? "-"))).toBe(false), { timeout: 5_000 })
    await expect(fake.phone.scan(qr, { phoneNumber })).rejects.toMatchObject({ reason: "no_pending_qr" })
  })

  it("shows as many QR refs as configured, each for the client's qrTimeout, then the client closes with 408", async () => {
    const twoRefs = await startFake({ qrRefs: 2 })
    WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(twoRefs.certRoot, "base64")
    const client = connect(freshAuth(), { url: twoRefs.url, qrTimeout: 200 })
    expect(await client.closed(5_000)).toBe(408)
    expect(client.updates.filter((u) => typeof u.qr === "string")).toHaveLength(2)
  })

  it("a verifier that honours the signature check accepts the fake's chain and the phone's account signature", async () => {
    Curve.verify = honouringVerify
    const root = Curve.generateKeyPair()
    const signature = Curve.sign(root.private, Buffer.from("signed"))
    expect(Curve.verify(root.public, Buffer.from("signed"), signature)).toBe(true)
    expect(Curve.verify(root.public, Buffer.from("tampered"), signature)).toBe(false)
    // pair-success carries the account signature, which Baileys checks with Curve.verify too
    const { device } = await pairByQr()
    expect(device.logins).toBe(1)
  })

  it("a verifier that honours the signature check refuses a chain from another root", async () => {
    Curve.verify = honouringVerify
    WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(Curve.generateKeyPair().public)
    const client = connect(freshAuth())
    expect(await client.closed()).toBe(400)
    expect(client.updates.find((u) => u.connection === "close")?.lastDisconnect?.error?.message).toMatch(/certificate signature invalid/)
    expect(client.updates.some((u) => u.qr !== undefined)).toBe(false)
  })

  it("Baileys' own Curve.verify accepts a chain from another root (why the gateway installs its own verifier)", async () => {
    WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(Curve.generateKeyPair().public)
    await connect(freshAuth()).qr()
  })

  it("a malformed client frame closes that socket only; the server keeps serving", async () => {
    const garbage = async (bytes: Uint8Array | string): Promise<void> => {
      const socket = new WebSocket(fake.url)
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("the fake did not close the socket")), 5_000)
        socket.on("open", () => socket.send(bytes))
        socket.on("error", () => {})
        socket.on("close", () => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    await garbage(Buffer.from("GET / HTTP/1.1"))
    await garbage(Buffer.concat([Buffer.from([0x57, 0x41, 6, 3]), Buffer.from([0, 0, 4, 1, 2, 3, 4])]))
    await garbage("text")
    await connect(freshAuth()).qr()
  })
})
