import { request } from "node:http"
import { Effect, Exit, Layer, LogLevel, Logger, Option, Scope } from "effect"
import { simulatorGatewayLayer } from "@wa-gateway/adapters"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ApiKeys } from "../auth/api-keys.js"
import { authenticatorLayer } from "../auth/authenticator-live.js"
import { serverLayer, serverPort, SimulatorApiLive } from "../server.js"
import { call, expectEnvelope, type Reply, startTestServer, type TestServer } from "../server.spec-helper.js"
import { buildDashboard } from "./browser.spec-helper.js"
import { CONTENT_SECURITY_POLICY } from "./security-headers.js"

/** A GET with the path exactly as written: fetch would resolve `..` and `%2e%2e` before sending. */
const rawGet = (baseUrl: string, path: string): Promise<Reply> =>
  new Promise((resolve, reject) => {
    const url = new URL(baseUrl)
    const outgoing = request({ host: url.hostname, port: url.port, path, method: "GET" }, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        const headers = new Headers()
        for (const [name, value] of Object.entries(response.headers)) if (typeof value === "string") headers.set(name, value)
        let body: unknown = undefined
        try {
          body = JSON.parse(text)
        } catch {
          body = undefined
        }
        resolve({ status: response.statusCode ?? 0, headers, body, text })
      })
    })
    outgoing.on("error", reject)
    outgoing.end()
  })

describe("GET /ui", () => {
  let server: TestServer

  beforeAll(async () => {
    await buildDashboard()
    server = await startTestServer()
  })
  afterAll(() => server.close())

  it("serves the page with a strict CSP, nosniff, no referrer and revalidation", async () => {
    for (const path of ["/ui", "/ui/"]) {
      const page = await call(server, "GET", path)
      expect(page.status).toBe(200)
      expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8")
      expect(page.headers.get("content-security-policy")).toBe(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; " +
          "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
      )
      expect(page.headers.get("x-content-type-options")).toBe("nosniff")
      expect(page.headers.get("referrer-policy")).toBe("no-referrer")
      expect(page.headers.get("cache-control")).toBe("no-cache")
      expect(page.headers.get("etag")).toMatch(/^"[A-Za-z0-9_-]+"$/)
    }
    expect(CONTENT_SECURITY_POLICY).not.toContain("unsafe")
  })

  it("has no inline script or style, and loads only from the gateway", async () => {
    const { text } = await call(server, "GET", "/ui")
    const scripts = [...text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)]
    expect(scripts.map((script) => script[1]?.trim())).toEqual(['type="module" src="/ui/app/main.js"'])
    expect(scripts.every((script) => script[2] === "")).toBe(true)
    expect(text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i)
    expect([...text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1])).toEqual(["/ui/icon.svg", "/ui/app.css", "/ui/app/main.js"])
  })

  it("serves the page's modules as JavaScript, importing only relative URLs, and the package's own preact", async () => {
    const main = await call(server, "GET", "/ui/app/main.js")
    expect(main.status).toBe(200)
    expect(main.headers.get("content-type")).toBe("text/javascript; charset=utf-8")
    expect(main.headers.get("x-content-type-options")).toBe("nosniff")
    expect([...main.text.matchAll(/from\s*"([^"]+)"/g)].map((match) => match[1])).toEqual([
      "./vendor/preact.js",
      "./app.js",
      "./html.js"
    ])
    // preact/hooks imports "preact" by name: served, it imports its sibling.
    const hooks = await call(server, "GET", "/ui/app/vendor/preact-hooks.js")
    expect(hooks.status).toBe(200)
    expect(hooks.text).toContain('from"./preact.js"')
    expect(hooks.text).not.toContain("sourceMappingURL")
    expect((await call(server, "GET", "/ui/app/vendor/preact.js")).text).toContain("createElement")
    expect((await call(server, "GET", "/ui/app.css")).headers.get("content-type")).toBe("text/css; charset=utf-8")
    expect((await call(server, "GET", "/ui/icon.svg")).headers.get("content-type")).toBe("image/svg+xml")
  })

  it("answers 304 to a copy that is still current", async () => {
    const first = await call(server, "GET", "/ui/app.css")
    const etag = first.headers.get("etag") ?? ""
    const again = await call(server, "GET", "/ui/app.css", { headers: { "if-none-match": etag } })
    expect(again.status).toBe(304)
    expect(again.text).toBe("")
    expect(again.headers.get("etag")).toBe(etag)
    const changed = await call(server, "GET", "/ui/app.css", { headers: { "if-none-match": '"something-else"' } })
    expect(changed.status).toBe(200)
  })

  it("answers an unknown file 404 in the envelope", async () => {
    for (const path of ["/ui/nope.js", "/ui/app/", "/ui/app/main.ts", "/ui/app/tsconfig.json", "/ui/index.html", "/ui/app/vendor/preact.mjs"]) {
      expectEnvelope(await call(server, "GET", path), 404, "not_found")
    }
  })

  it("refuses path traversal, plain or encoded, with a 404 in the envelope", async () => {
    for (const path of [
      "/ui/../package.json",
      "/ui/app/../../../package.json",
      "/ui/%2e%2e/%2e%2e/package.json",
      "/ui/app/%2e%2e%2f%2e%2e%2fassets.ts",
      "/ui/..%2f..%2fsrc%2fui%2fassets.ts",
      "/ui/app/..\\..\\package.json",
      "/ui//etc/passwd"
    ]) {
      const reply = await rawGet(server.baseUrl, path)
      expectEnvelope(reply, 404, "not_found")
      expect(reply.text).not.toContain("wa-gateway")
    }
  })

  it("takes only GET: any other method on /ui is 404 in the envelope", async () => {
    expectEnvelope(await call(server, "POST", "/ui", { body: {} }), 404, "not_found")
    expectEnvelope(await call(server, "DELETE", "/ui/app/main.js"), 404, "not_found")
  })

  it("needs no token, and the API behind it still does", async () => {
    expect((await call(server, "GET", "/ui/app/main.js")).status).toBe(200)
    expectEnvelope(await call(server, "GET", "/api/v1/sessions"), 401, "unauthorized")
  })
})

describe("UI_ENABLED=false", () => {
  const scope = Effect.runSync(Scope.make())
  let baseUrl = ""

  beforeAll(async () => {
    const auth = authenticatorLayer({
      jwksUrl: Option.none(),
      issuer: Option.none(),
      audience: Option.none(),
      orgClaim: "org_id",
      roleClaim: "role"
    }).pipe(Layer.provideMerge(ApiKeys.Live))
    const layer = serverLayer({ port: 0, host: "127.0.0.1", ui: false }, SimulatorApiLive).pipe(
      Layer.provide(auth),
      Layer.provide(simulatorGatewayLayer({ store: { _tag: "memory" } })),
      Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
    )
    const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
    baseUrl = `http://127.0.0.1:${Effect.runSync(Effect.provide(serverPort, context))}`
  })
  afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

  it("serves no dashboard: /ui is a 404 in the envelope like any unknown route, the API is unchanged", async () => {
    for (const path of ["/ui", "/ui/", "/ui/app/main.js"]) {
      const reply = await rawGet(baseUrl, path)
      expect(expectEnvelope(reply, 404, "not_found").message).toBe("route not found")
    }
    expect((await rawGet(baseUrl, "/healthz")).status).toBe(200)
  })
})
