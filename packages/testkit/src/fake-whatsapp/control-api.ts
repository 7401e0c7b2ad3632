/**
 * A small JSON control API on loopback for a person driving the fake by hand (curl): list devices and
 * pending pairings, and act as the phone. Errors use the gateway's envelope `{"error":{"code","message"}}`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { Either, Schema } from "effect"
import type { FakeDevice } from "./device.js"
import { FakeWhatsAppError, type FakeWhatsAppErrorReason } from "./errors.js"
import type { FakeWhatsApp } from "./server.js"

const MAX_BODY_BYTES = 64 * 1024

const PushName = Schema.optionalWith(Schema.String, { exact: true })
const ScanBody = Schema.Struct({ qr: Schema.String, phoneNumber: Schema.String, pushName: PushName })
const EnterCodeBody = Schema.Struct({ code: Schema.String, phoneNumber: Schema.String, pushName: PushName })
const RefuseLoginsBody = Schema.Struct({ count: Schema.Int.pipe(Schema.between(0, 1_000)) })

const STATUS: Record<FakeWhatsAppErrorReason, number> = {
  invalid_qr: 400,
  invalid_code: 400,
  invalid_phone_number: 400,
  wrong_code: 400,
  no_pending_qr: 404,
  no_pending_code: 404,
  unknown_device: 404,
  pairing_in_progress: 409,
  pairing_refused: 409,
  timeout: 504
}

class BadRequest extends Error {}

export const describeDevice = (device: FakeDevice) => ({
  jid: device.jid,
  lid: device.lid,
  phoneNumber: device.phoneNumber,
  deviceId: device.deviceId,
  pushName: device.pushName ?? null,
  linked: device.linked,
  banned: device.banned,
  openConnections: device.openConnections,
  totalConnections: device.totalConnections,
  logins: device.logins,
  overlaps: device.overlaps.map((o) => ({ at: o.at.toISOString(), connectionIds: o.connectionIds })),
  connections: device.connections.map((c) => ({
    connectionId: c.connectionId,
    kind: c.kind,
    openedAt: c.openedAt.toISOString(),
    closedAt: c.closedAt?.toISOString() ?? null,
    loggedIn: c.loggedIn,
    loggedInAt: c.loggedInAt?.toISOString() ?? null,
    refusedWith: c.refusedWith ?? null
  }))
})

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    request.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        reject(new BadRequest("body too large"))
        request.destroy()
      } else chunks.push(chunk)
    })
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    request.on("error", reject)
  })

const decodeBody = async <A, I>(request: IncomingMessage, schema: Schema.Schema<A, I>): Promise<A> => {
  const decoded = Schema.decodeUnknownEither(Schema.parseJson(schema))(await readBody(request))
  if (Either.isLeft(decoded)) throw new BadRequest(decoded.left.message)
  return decoded.right
}

const send = (response: ServerResponse, status: number, body: unknown): void => {
  response.writeHead(status, { "content-type": "application/json" })
  response.end(`${JSON.stringify(body, null, 2)}\n`)
}

/** One line per route, printed by the standalone fake and served at `GET /`. */
export const controlRoutes: ReadonlyArray<string> = [
  "GET  /                               the values to start the gateway with",
  "GET  /devices                        every linked device, its connections",
  "GET  /devices/{jid|lid|phone}        one device",
  "GET  /pairings                       sockets waiting for pairing (QR refs, code requests)",
  "POST /phone:scan                     {qr, phoneNumber, pushName?}",
  "POST /phone:enterCode                {code, phoneNumber, pushName?}",
  "POST /devices/{ref}:unlink           401 device_removed",
  "POST /devices/{ref}:replace          440 replaced",
  "POST /devices/{ref}:dropConnection   TCP close, no stream error",
  "POST /devices/{ref}:ban              403",
  "POST /devices/{ref}:refuseLogins     {count}: the next count logins get 503"
]

const route = async (fake: FakeWhatsApp, request: IncomingMessage): Promise<{ readonly status: number; readonly body: unknown }> => {
  const path = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname)
  const method = request.method ?? "GET"
  if (method === "GET" && path === "/") {
    return {
      status: 200,
      body: { WA_SERVER_URL: fake.url, WA_SERVER_CERT_ROOT: fake.certRoot, connections: fake.connections, routes: controlRoutes }
    }
  }
  if (method === "GET" && path === "/devices") return { status: 200, body: fake.devices.map(describeDevice) }
  if (method === "GET" && path === "/pairings") {
    return {
      status: 200,
      body: fake.pendingPairings.map((p) => ({ ...p, startedAt: p.startedAt.toISOString(), codeRequestedFor: p.codeRequestedFor ?? null }))
    }
  }
  if (method === "GET" && path.startsWith("/devices/")) return { status: 200, body: describeDevice(fake.device(path.slice("/devices/".length))) }
  if (method === "POST" && path === "/phone:scan") {
    const { qr, ...phone } = await decodeBody(request, ScanBody)
    return { status: 200, body: describeDevice(await fake.phone.scan(qr, phone)) }
  }
  if (method === "POST" && path === "/phone:enterCode") {
    const { code, ...phone } = await decodeBody(request, EnterCodeBody)
    return { status: 200, body: describeDevice(await fake.phone.enterCode(code, phone)) }
  }
  if (method === "POST" && path.startsWith("/devices/")) {
    // the ref is a JID with colons of its own: the action follows the last one
    const target = path.slice("/devices/".length)
    const colon = target.lastIndexOf(":")
    const device = fake.device(target.slice(0, colon))
    switch (colon === -1 ? "" : target.slice(colon + 1)) {
      case "unlink":
        await device.unlink()
        break
      case "replace":
        await device.replace()
        break
      case "dropConnection":
        await device.dropConnection()
        break
      case "ban":
        await device.ban()
        break
      case "refuseLogins":
        device.refuseLogins((await decodeBody(request, RefuseLoginsBody)).count)
        break
      default:
        return { status: 404, body: { error: { code: "not_found", message: `no action in ${path}` } } }
    }
    return { status: 200, body: describeDevice(device) }
  }
  return { status: 404, body: { error: { code: "not_found", message: `no route ${method} ${path}` } } }
}

export interface ControlApi {
  readonly url: string
  close(): Promise<void>
}

export const startControlApi = async (
  fake: FakeWhatsApp,
  options: { readonly host?: string; readonly port?: number } = {}
): Promise<ControlApi> => {
  const server = createServer((request, response) => {
    route(fake, request).then(
      ({ status, body }) => send(response, status, body),
      (error: unknown) => {
        if (error instanceof FakeWhatsAppError) return send(response, STATUS[error.reason], { error: { code: error.reason, message: error.message } })
        if (error instanceof BadRequest || error instanceof URIError) return send(response, 400, { error: { code: "validation_error", message: error.message } })
        send(response, 500, { error: { code: "internal_error", message: error instanceof Error ? error.message : String(error) } })
      }
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("the control API has no TCP address")
  return {
    url: `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
