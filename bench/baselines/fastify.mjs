// Fastify 4 + pg: the work of peer-work.mjs in Fastify's own idiom (no
// logger, as Fastify starts by default; JSON written by reply.send).
import Fastify from "fastify"
import { getSession, internal, listSessions, routeNotFound } from "./peer-work.mjs"

const app = Fastify({ logger: false })
const answer = (reply, { status, body }) => reply.code(status).send(body)
const handle = (work) => async (request, reply) => {
  try {
    return answer(reply, await work(request))
  } catch {
    return answer(reply, internal)
  }
}

app.get("/api/v1/sessions/:session", handle((request) => getSession(request.headers.authorization, request.params.session)))
app.get("/api/v1/sessions", handle((request) => listSessions(request.headers.authorization, request.query.pageSize)))
app.get("/healthz", async () => ({ status: "ok" }))
app.setNotFoundHandler((_request, reply) => answer(reply, routeNotFound))
await app.listen({ port: Number(process.env.PORT), host: "127.0.0.1" })

// Stopped by the bench with SIGTERM: exit normally (so `node --cpu-prof` can write its profile).
process.on("SIGTERM", () => process.exit(0))
