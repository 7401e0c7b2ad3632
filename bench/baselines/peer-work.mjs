// The work every baseline server does, whatever its framework: exactly what
// GET /api/v1/sessions/{id} and GET /api/v1/sessions do — hash the API key,
// look it up (one query per request: the baselines cache nothing), check the
// capability, load the session row (or a page of the org's rows) and answer
// the contract's JSON. Each framework only routes and writes the answer.
import { createHash } from "node:crypto"
import pg from "pg"

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 })
const SESSION_ID = /^sess_[0-9A-HJKMNP-TV-Z]{26}$/

const failure = (status, code, message) => ({ status, body: { error: { code, message, details: {} } } })
const notFound = failure(404, "not_found", "session not found")

const toSession = (row) => ({
  sessionId: row.session_id, name: row.name, status: row.status, connected: false, phoneNumber: row.phone_number,
  waJid: row.wa_jid, waLid: row.wa_lid, pushName: row.push_name, createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(), version: row.version
})

/** The caller's org, or the failure to answer. */
const authenticate = async (authorization) => {
  const token = (authorization ?? "").replace(/^Bearer /, "")
  const hash = createHash("sha256").update(token).digest("hex")
  const key = await pool.query("select org_id, capabilities from api_keys where key_hash = $1 and revoked_at is null", [hash])
  const row = key.rows[0]
  if (row === undefined) return { failure: failure(401, "unauthorized", "invalid or expired token") }
  if (!row.capabilities.includes("read")) return { failure: failure(403, "forbidden", "missing capability read") }
  return { orgId: row.org_id }
}

/** GET /api/v1/sessions/{id}: `{status, body}`. */
export const getSession = async (authorization, sessionId) => {
  const caller = await authenticate(authorization)
  if (caller.failure !== undefined) return caller.failure
  if (!SESSION_ID.test(sessionId)) return notFound
  const session = await pool.query("select * from sessions where session_id = $1", [sessionId])
  const row = session.rows[0]
  if (row === undefined || row.org_id !== caller.orgId) return notFound
  return { status: 200, body: toSession(row) }
}

/** GET /api/v1/sessions?pageSize=N (the first page): `{status, body}`. */
export const listSessions = async (authorization, pageSizeParam) => {
  const caller = await authenticate(authorization)
  if (caller.failure !== undefined) return caller.failure
  const pageSize = pageSizeParam === undefined ? 20 : /^[0-9]+$/.test(pageSizeParam) ? Number(pageSizeParam) : NaN
  if (!(pageSize >= 1 && pageSize <= 100)) return failure(400, "validation_error", "invalid request: pageSize")
  const page = await pool.query(
    "select * from sessions where org_id = $1 order by created_at desc, session_id desc limit $2",
    [caller.orgId, pageSize + 1]
  )
  const rows = page.rows.slice(0, pageSize)
  const last = rows.at(-1)
  const nextPageToken = page.rows.length > pageSize && last !== undefined
    ? Buffer.from(`${last.created_at.toISOString()}|${last.session_id}`).toString("base64url")
    : null
  return { status: 200, body: { sessions: rows.map(toSession), nextPageToken } }
}

export const internal = failure(500, "internal", "internal error")
export const routeNotFound = failure(404, "not_found", "route not found")
