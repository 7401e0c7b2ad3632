// The DESIGN §6 baseline: a hand-written node:http + pg handler doing the same
// work as GET /api/v1/sessions/{id}: hash the API key, look it up, load the
// session row, check the org, answer JSON.
import { createHash } from "node:crypto"
import { createServer } from "node:http"
import pg from "pg"

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 })
const route = /^\/api\/v1\/sessions\/(sess_[0-9A-Z]{26})$/

const send = (res, status, body) => {
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  res.end(text)
}

createServer(async (req, res) => {
  try {
    const match = route.exec(req.url ?? "")
    if (req.method !== "GET" || match === null) return send(res, 404, { error: { code: "not_found", message: "route not found", details: {} } })
    const token = (req.headers.authorization ?? "").replace(/^Bearer /, "")
    const hash = createHash("sha256").update(token).digest("hex")
    const key = await pool.query("select org_id, capabilities from api_keys where key_hash = $1 and revoked_at is null", [hash])
    if (key.rows.length === 0) return send(res, 401, { error: { code: "unauthorized", message: "unauthorized", details: {} } })
    const session = await pool.query("select * from sessions where session_id = $1", [match[1]])
    const row = session.rows[0]
    if (row === undefined || row.org_id !== key.rows[0].org_id) return send(res, 404, { error: { code: "not_found", message: "session not found", details: {} } })
    send(res, 200, {
      sessionId: row.session_id, name: row.name, status: row.status, connected: false, phoneNumber: row.phone_number,
      waJid: row.wa_jid, waLid: row.wa_lid, pushName: row.push_name, createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(), version: row.version
    })
  } catch {
    send(res, 500, { error: { code: "internal", message: "internal error", details: {} } })
  }
}).listen(Number(process.env.PORT), "127.0.0.1", () => console.log("Listening"))
