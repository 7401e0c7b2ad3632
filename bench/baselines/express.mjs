// Express 4 + pg (Evolution API's stack; WAHA's is NestJS on Express): the
// work of peer-work.mjs in Express's own idiom, with Express's defaults
// (ETag, X-Powered-By) as a peer would ship them.
import express from "express"
import { getSession, internal, listSessions, routeNotFound } from "./peer-work.mjs"

const app = express()
const answer = (res, { status, body }) => res.status(status).json(body)
const handle = (work) => async (req, res) => {
  try {
    answer(res, await work(req))
  } catch {
    answer(res, internal)
  }
}

app.get("/api/v1/sessions/:session", handle((req) => getSession(req.headers.authorization, req.params.session)))
app.get("/api/v1/sessions", handle((req) =>
  listSessions(req.headers.authorization, typeof req.query.pageSize === "string" ? req.query.pageSize : undefined)))
app.get("/healthz", (_req, res) => res.json({ status: "ok" }))
app.use((_req, res) => answer(res, routeNotFound))
app.listen(Number(process.env.PORT), "127.0.0.1")

// Stopped by the bench with SIGTERM: exit normally (so `node --cpu-prof` can write its profile).
process.on("SIGTERM", () => process.exit(0))
