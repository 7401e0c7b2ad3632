// Bare node:http + pg (the limit): the work of peer-work.mjs, routed by hand.
import { createServer } from "node:http"
import { getSession, internal, listSessions, routeNotFound } from "./peer-work.mjs"

const SESSION_ROUTE = /^\/api\/v1\/sessions\/([^/?]+)$/
const LIST_ROUTE = /^\/api\/v1\/sessions(?:\?(.*))?$/

const send = (res, { status, body }) => {
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  res.end(text)
}

createServer(async (req, res) => {
  try {
    const url = req.url ?? ""
    const session = req.method === "GET" ? SESSION_ROUTE.exec(url) : null
    if (session !== null) return send(res, await getSession(req.headers.authorization, session[1]))
    const list = req.method === "GET" ? LIST_ROUTE.exec(url) : null
    if (list !== null) return send(res, await listSessions(req.headers.authorization, new URLSearchParams(list[1] ?? "").get("pageSize") ?? undefined))
    if (url === "/healthz") return send(res, { status: 200, body: { status: "ok" } })
    send(res, routeNotFound)
  } catch {
    send(res, internal)
  }
}).listen(Number(process.env.PORT), "127.0.0.1")

// Stopped by the bench with SIGTERM: exit normally (so `node --cpu-prof` can write its profile).
process.on("SIGTERM", () => process.exit(0))
