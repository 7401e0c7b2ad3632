import SwaggerParser from "@apidevtools/swagger-parser"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { call, startTestServer, type TestServer } from "./server.spec-helper.js"

type Json = Record<string, unknown>

let server: TestServer
let spec: Json
beforeAll(async () => {
  server = await startTestServer()
  const reply = await call(server, "GET", "/openapi.json")
  expect(reply.status).toBe(200)
  spec = reply.body as Json
})
afterAll(() => server.close())

const paths = () => spec["paths"] as Record<string, Record<string, Json>>
const operation = (path: string, method: string): Json => {
  const found = paths()[path]?.[method]
  if (found === undefined) throw new Error(`${method.toUpperCase()} ${path} is not in the document`)
  return found
}
const resolve = (schema: Json): Json => {
  const ref = schema["$ref"]
  if (typeof ref !== "string") return schema
  const name = ref.replace("#/components/schemas/", "")
  return ((spec["components"] as Json)["schemas"] as Record<string, Json>)[name] ?? {}
}

/** Every route of spec/API.md with the statuses its table row and notes name. */
const routes: ReadonlyArray<readonly [string, string, ReadonlyArray<number>]> = [
  ["post", "/api/v1/sessions", [201, 400, 401, 403, 413]],
  ["get", "/api/v1/sessions", [200, 400, 401, 403]],
  ["get", "/api/v1/sessions/{session}", [200, 401, 403, 404]],
  ["get", "/api/v1/sessions/{session}/qr", [200, 400, 401, 403, 404, 501]],
  ["post", "/api/v1/sessions/{session}:requestPairingCode", [200, 400, 401, 403, 404, 413]],
  ["post", "/api/v1/sessions/{session}:logout", [200, 400, 401, 403, 404]],
  ["delete", "/api/v1/sessions/{session}", [204, 401, 403, 404]],
  ["get", "/api/v1/sessions/{session}/me", [200, 401, 403, 404, 501]],
  ["get", "/api/v1/sessions/{session}/events", [200, 401, 403, 404]],
  ["post", "/api/v1/webhooks", [201, 400, 401, 403, 413]],
  ["get", "/api/v1/webhooks", [200, 400, 401, 403]],
  ["get", "/api/v1/webhooks/{webhook}", [200, 401, 403, 404]],
  ["patch", "/api/v1/webhooks/{webhook}", [200, 400, 401, 403, 404, 413]],
  ["delete", "/api/v1/webhooks/{webhook}", [204, 401, 403, 404]],
  ["post", "/api/v1/webhooks/{webhook}:rotateSecret", [200, 401, 403, 404]],
  ["post", "/api/v1/webhooks/{webhook}:test", [202, 401, 403, 404]],
  ["get", "/api/v1/webhooks/{webhook}/deliveries", [200, 400, 401, 403, 404]],
  ["post", "/api/v1/webhooks/{webhook}:replay", [202, 400, 401, 403, 404, 413]],
  ["get", "/api/v1/events:stream", [200, 400, 401, 403]],
  ["get", "/healthz", [200]],
  ["get", "/readyz", [200, 503]],
  ["get", "/openapi.json", [200]],
  ["get", "/docs", [200]],
  ["post", "/simulator/v1/sessions/{session}:scan", [200, 400, 401, 403, 404, 413]],
  ["post", "/simulator/v1/sessions/{session}:enterCode", [200, 400, 401, 403, 404, 413]],
  ["post", "/simulator/v1/sessions/{session}:unlink", [200, 401, 403, 404]],
  ["post", "/simulator/v1/sessions/{session}:dropConnection", [200, 401, 403, 404, 413]]
]

/** API.md "Unauthenticated". */
const unauthenticated = ["/healthz", "/readyz", "/openapi.json", "/docs"]

describe("the generated OpenAPI document", () => {
  it("validates as OpenAPI 3.x", async () => {
    expect(String(spec["openapi"])).toMatch(/^3\./)
    await expect(SwaggerParser.validate(structuredClone(spec) as never)).resolves.toBeDefined()
  })

  it("repeats no $id, so JSON Schema validators (ajv) can compile it to check responses", () => {
    const ids = JSON.stringify(spec).match(/"\$id":"[^"]*"/g) ?? []
    expect(ids.length).toBe(new Set(ids).size)
  })

  it("lists exactly the routes of API.md with readable custom-method paths", () => {
    const listed = Object.entries(paths()).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`))
    expect(listed.sort()).toEqual(routes.map(([method, path]) => `${method} ${path}`).sort())
    for (const path of Object.keys(paths())) {
      expect(path).not.toMatch(/[()[\]^+]|\{logout\}|::/)
    }
  })

  it.each(routes)("documents %s %s with its statuses", (method, path, statuses) => {
    const responses = operation(path, method)["responses"] as Json
    for (const status of statuses) expect(Object.keys(responses), `${method} ${path}`).toContain(String(status))
  })

  it("puts every error response in the envelope", () => {
    for (const [method, path] of routes) {
      const responses = operation(path, method)["responses"] as Record<string, Json>
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) < 400) continue
        const schema = resolve(((response["content"] as Json)["application/json"] as Json)["schema"] as Json)
        expect(Object.keys(schema["properties"] as Json), `${method} ${path} ${status}`).toEqual(["error"])
      }
    }
    expect(Object.keys((spec["components"] as Json)["schemas"] as Json)).not.toContain("HttpApiDecodeError")
  })

  it("declares bearer security on the API routes, none on the probes", () => {
    const schemes = (spec["components"] as Json)["securitySchemes"] as Json
    expect(schemes).toMatchObject({ bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } })
    for (const [method, path] of routes) {
      const security = operation(path, method)["security"]
      if (unauthenticated.includes(path)) expect(security).toEqual([])
      else expect(security, `${method} ${path}`).toEqual([{ bearer: [] }])
    }
  })

  it("marks the create and dropConnection bodies optional and the pairing-code body required", () => {
    expect(operation("/api/v1/sessions", "post")["requestBody"]).toMatchObject({ required: false })
    expect(operation("/simulator/v1/sessions/{session}:dropConnection", "post")["requestBody"]).toMatchObject({ required: false })
    expect(operation("/api/v1/sessions/{session}:requestPairingCode", "post")["requestBody"]).toMatchObject({ required: true })
  })

  it("documents the event stream as text/event-stream and the webhook's secret only where it is shown", () => {
    const stream = operation("/api/v1/events:stream", "get")
    expect(Object.keys(((stream["responses"] as Json)["200"] as Json)["content"] as Json)).toEqual(["text/event-stream"])
    expect((stream["parameters"] as Array<Json>).map((p) => p["name"]).sort()).toEqual(["after", "sessionId", "types"])
    const schemaOf = (path: string, method: string, status: string) => {
      const response = (operation(path, method)["responses"] as Json)[status] as Json
      return resolve(((response["content"] as Json)["application/json"] as Json)["schema"] as Json)
    }
    expect(Object.keys(schemaOf("/api/v1/webhooks", "post", "201")["properties"] as Json)).toContain("secret")
    expect(Object.keys(schemaOf("/api/v1/webhooks/{webhook}", "get", "200")["properties"] as Json)).not.toContain("secret")
  })

  it("documents the QR as JSON or PNG and the session path parameter", () => {
    const qr = operation("/api/v1/sessions/{session}/qr", "get")
    const content = ((qr["responses"] as Json)["200"] as Json)["content"] as Json
    expect(Object.keys(content).sort()).toEqual(["application/json", "image/png"])
    expect(qr["parameters"]).toEqual([expect.objectContaining({ name: "session", in: "path", required: true })])
  })
})
