import { connect } from "node:net"
import { afterAll, expect, it } from "vitest"
import { killGatewayProcesses, startGatewayProcess } from "./gateway-process.spec-helper.js"

// No route speaks WebSocket: a request asking to upgrade is served as the plain request it also is.

afterAll(killGatewayProcesses)

const exchange = (baseUrl: string, bytes: string, resetAfterMs?: number): Promise<string> =>
  new Promise((done) => {
    const url = new URL(baseUrl)
    const socket = connect(Number(url.port), url.hostname)
    let received = ""
    socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")))
    socket.on("error", () => undefined)
    socket.on("close", () => done(received))
    socket.write(bytes, () => {
      if (resetAfterMs !== undefined) setTimeout(() => socket.resetAndDestroy(), resetAfterMs)
      else setTimeout(() => socket.destroy(), 2_000)
    })
  })

it("answers a request with Connection: upgrade like any other, and clients resetting one hold no SIGTERM", async () => {
  const gateway = await startGatewayProcess({})
  const key = gateway.firstApiKey()
  const upgrade = (path: string) =>
    `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nConnection: upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`
  expect(await exchange(gateway.baseUrl, upgrade("/healthz"))).toMatch(/^HTTP\/1\.1 200 [^]*\{"status":"ok"\}/)
  for (let i = 0; i < 5; i++) await exchange(gateway.baseUrl, upgrade("/api/v1/sessions"), 1)
  await new Promise((later) => setTimeout(later, 300))
  // Before, the platform's upgrade path waited for ever on such a socket, and the shutdown until its deadline (exit 1).
  gateway.child.kill("SIGTERM")
  expect(await gateway.exit).toBe(0)
}, 60_000)
