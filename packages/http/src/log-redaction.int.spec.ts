import pg from "pg"
import { afterAll, describe, expect, it } from "vitest"
import { startTestJwtIssuer, type TestJwtIssuer, type WebhookReceiver, webhookReceiver } from "@wa-gateway/testkit"
import { type GatewayProcess, killGatewayProcesses, startGatewayProcess } from "./gateway-process.spec-helper.js"

// A whole lifecycle through real gateway processes at LOG_LEVEL=debug on the
// simulator engine, then every line either process wrote (stdout and stderr,
// JSON or not) is searched for the secrets and personal data the run handled.

const databaseUrl = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"

const sql = async (text: string): Promise<void> => {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

const schema = `t_log_redaction_${Math.random().toString(16).slice(2, 10)}`
let receiver: WebhookReceiver | undefined
let issuer: TestJwtIssuer | undefined

afterAll(async () => {
  await killGatewayProcesses()
  await receiver?.close()
  await issuer?.close()
  await sql(`drop schema if exists "${schema}" cascade`)
})

const call = async (gateway: GatewayProcess, token: string, method: string, path: string, body?: unknown) => {
  const response = await fetch(`${gateway.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await response.text()
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) as Record<string, unknown> }
}

/** Like `call`, for steps that must succeed. */
const ok = async (gateway: GatewayProcess, token: string, method: string, path: string, body?: unknown) => {
  const answer = await call(gateway, token, method, path, body)
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}\n${gateway.output()}`)
  return answer.body ?? {}
}

const text = (value: unknown): string => {
  if (typeof value !== "string") throw new Error(`expected a string, got ${JSON.stringify(value)}`)
  return value
}

/** `628123456789` → `6281******89`: what the log may show of a phone number or a JID's user part. */
const masked = (digits: string): string => `${digits.slice(0, 4)}${"*".repeat(digits.length - 6)}${digits.slice(-2)}`

const until = async (what: string, check: () => Promise<boolean>) => {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await check()) return
    await new Promise((wait) => setTimeout(wait, 50))
  }
  throw new Error(`${what}: not in time`)
}

describe("secrets and personal data in the log", () => {
  it("a whole lifecycle at LOG_LEVEL=debug leaves no key, JWT, QR, pairing code or webhook secret in any line, and phone numbers and JIDs only masked", async () => {
    await sql(`create schema "${schema}"`)
    const url = new URL(databaseUrl)
    url.searchParams.set("options", `-c search_path=${schema}`)
    const env = { DATABASE_URL: url.toString(), LOG_LEVEL: "debug", WEBHOOK_RETRY_SCHEDULE: "1s,1s,1s" }

    // First start: the key is created; then a restart that also takes JWTs.
    const first = await startGatewayProcess(env)
    const apiKey = first.firstApiKey()
    first.child.kill("SIGTERM")
    expect(await first.exit).toBe(0)
    issuer = await startTestJwtIssuer()
    const gateway = await startGatewayProcess({
      ...env,
      AUTH_JWKS_URL: issuer.jwksUrl,
      AUTH_JWT_ISSUER: issuer.issuer,
      AUTH_JWT_AUDIENCE: issuer.audience
    })
    const jwt = await issuer.mint({ org: "default", role: "admin" })
    const expiredJwt = await issuer.mint({ org: "default", role: "admin", expiresIn: -60 })
    const forgedJwt = await issuer.mintWithPublicKeyAsHmacSecret({ org: "default", role: "admin" })
    const wrongKey = `wag_${"A".repeat(43)}`
    expect((await call(gateway, expiredJwt, "GET", "/api/v1/sessions")).status).toBe(401)
    expect((await call(gateway, forgedJwt, "GET", "/api/v1/sessions")).status).toBe(401)
    expect((await call(gateway, wrongKey, "GET", "/api/v1/sessions")).status).toBe(401)

    receiver = await webhookReceiver()
    const webhook = await ok(gateway, apiKey, "POST", "/api/v1/webhooks", {
      url: receiver.url,
      events: ["session.created", "session.pairing_started", "session.paired", "session.connected", "session.disconnected", "session.logged_out", "session.deleted", "session.qr"]
    })
    const webhookId = text(webhook["webhookId"])
    const firstSecret = text(webhook["secret"])
    receiver.setSecret(firstSecret)

    const phone = "628123456789"
    const secondPhone = "6285712345678"
    const session = text((await ok(gateway, jwt, "POST", "/api/v1/sessions", { name: "support line" }))["sessionId"])
    const qrs: Array<string> = []
    const codes: Array<string> = []
    const identities: Array<Record<string, unknown>> = []

    // QR pairing, /me, a dropped connection, the device unlinked from the phone.
    qrs.push(text((await ok(gateway, apiKey, "GET", `/api/v1/sessions/${session}/qr`))["qr"]))
    await ok(gateway, apiKey, "POST", `/simulator/v1/sessions/${session}:scan`, { phoneNumber: phone, pushName: "Acme Support" })
    identities.push(await ok(gateway, jwt, "GET", `/api/v1/sessions/${session}/me`))
    await ok(gateway, apiKey, "POST", `/simulator/v1/sessions/${session}:dropConnection`, { reconnectAfterMs: 100 })
    await until("reconnected", async () => (await ok(gateway, apiKey, "GET", `/api/v1/sessions/${session}`))["connected"] === true)
    await ok(gateway, apiKey, "POST", `/simulator/v1/sessions/${session}:unlink`, {})
    await until("logged out by the device", async () => (await ok(gateway, apiKey, "GET", `/api/v1/sessions/${session}`))["status"] === "logged_out")

    // Pairing code for another phone (a wrong code first), /me, logout by the user.
    const code = text((await ok(gateway, jwt, "POST", `/api/v1/sessions/${session}:requestPairingCode`, { phone: secondPhone }))["code"])
    codes.push(code)
    expect((await call(gateway, apiKey, "POST", `/simulator/v1/sessions/${session}:enterCode`, { code: "ZZZZ-9999" })).status).toBe(400)
    await ok(gateway, apiKey, "POST", `/simulator/v1/sessions/${session}:enterCode`, { code })
    identities.push(await ok(gateway, apiKey, "GET", `/api/v1/sessions/${session}/me`))
    await ok(gateway, apiKey, "POST", `/api/v1/sessions/${session}:logout`)

    // A QR again, left unscanned, a rotated secret, then delete.
    qrs.push(text((await ok(gateway, apiKey, "GET", `/api/v1/sessions/${session}/qr`))["qr"]))
    const secondSecret = text((await ok(gateway, apiKey, "POST", `/api/v1/webhooks/${webhookId}:rotateSecret`))["secret"])
    await ok(gateway, apiKey, "DELETE", `/api/v1/sessions/${session}`)
    await receiver.waitFor((deliveries) => deliveries.some((d) => d.body.includes("session.deleted")))

    // The run reached what it is about: paired twice, identities seen, deliveries verified with the phone in them.
    expect(identities.map((identity) => identity["phoneNumber"])).toEqual([phone, secondPhone])
    expect(receiver.accepted().every((d) => d.verified)).toBe(true)
    expect(receiver.accepted().some((d) => d.body.includes(phone))).toBe(true)

    gateway.child.kill("SIGTERM")
    expect(await gateway.exit).toBe(0)

    const output = `${first.output()}${gateway.output()}`
    const lines = output.split("\n").filter((line) => line !== "")
    // The log did speak of the run (the checks below are not vacuous): a line per request, and debug lines that name the numbers masked.
    expect(lines.filter((line) => line.includes("\"message\":\"request\"")).length).toBeGreaterThan(20)
    const debug = lines.filter((line) => line.includes("\"logLevel\":\"DEBUG\""))
    expect(debug.some((line) => line.includes(masked(phone)))).toBe(true)
    expect(debug.some((line) => line.includes(masked(secondPhone)))).toBe(true)

    const secrets: Array<[string, string]> = [
      ["API key", apiKey],
      ["wrong API key", wrongKey],
      ["JWT", jwt],
      ["expired JWT", expiredJwt],
      ["forged JWT", forgedJwt],
      // A JWT's signature part alone is as good as the token to nobody, but its payload names the org: check the signature.
      ["JWT signature", jwt.split(".")[2] ?? jwt],
      ...qrs.flatMap((qr, i): Array<[string, string]> => [[`QR ${i}`, qr], ...qr.slice(2).split(",").map((part, j): [string, string] => [`QR ${i} part ${j}`, part])]),
      ...codes.flatMap((c, i): Array<[string, string]> => [[`pairing code ${i}`, c], [`pairing code ${i} without dash`, c.replace("-", "")]]),
      ["webhook secret", firstSecret],
      ["webhook secret's key", firstSecret.replace(/^whsec_/, "")],
      ["rotated webhook secret", secondSecret],
      ["rotated webhook secret's key", secondSecret.replace(/^whsec_/, "")]
    ]
    const personal = [phone, secondPhone, ...identities.flatMap((identity) => [text(identity["waJid"]), text(identity["waLid"])])]
    // The user parts of the JIDs and LIDs: digits, without the device suffix.
    const digitRuns = [...new Set(personal.map((value) => value.replace(/[:@].*$/, "")))]
    for (const line of lines) {
      for (const [what, secret] of secrets) expect(line.includes(secret), `${what} in: ${line}`).toBe(false)
      for (const digits of digitRuns) expect(line.includes(digits), `${digits} unmasked in: ${line}`).toBe(false)
      // A masked number shows 4 digits, stars and 2 digits, never more of it.
      for (const match of line.matchAll(/\d+\*+\d+/g)) {
        expect(digitRuns.map(masked), `a masking other than 6281******89: ${line}`).toContain(match[0])
      }
    }
  }, 180_000)
})
