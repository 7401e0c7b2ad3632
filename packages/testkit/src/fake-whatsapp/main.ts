/**
 * `npm run fake-whatsapp`: a standalone fake WhatsApp with its control API, for a person to run the gateway's
 * real Baileys engine against without a phone. Prints the two variables to start the gateway with.
 */
import { parseArgs } from "node:util"
import { controlRoutes, startControlApi } from "./control-api.js"
import { startFakeWhatsApp } from "./server.js"

const { values } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: process.env.FAKE_WHATSAPP_PORT ?? "0" },
    "control-port": { type: "string", default: process.env.FAKE_WHATSAPP_CONTROL_PORT ?? "0" },
    "qr-refs": { type: "string", default: "6" },
    quiet: { type: "boolean", default: false }
  }
})

const port = (name: string, text: string): number => {
  const value = Number(text)
  if (!Number.isInteger(value) || value < 0 || value > 65_535) throw new Error(`--${name}: ${text} is not a port`)
  return value
}

const qrRefs = Number(values["qr-refs"])
if (!Number.isInteger(qrRefs) || qrRefs < 1) throw new Error(`--qr-refs: ${values["qr-refs"]} is not a positive count`)

const fake = await startFakeWhatsApp({
  host: values.host,
  port: port("port", values.port),
  qrRefs,
  ...(values.quiet ? {} : { log: (line: string) => console.log(`${new Date().toISOString()} ${line}`) })
})
const control = await startControlApi(fake, { host: values.host, port: port("control-port", values["control-port"]) })

console.log(`fake WhatsApp is listening. Start the gateway with:

WA_SERVER_URL=${fake.url}
WA_SERVER_CERT_ROOT=${fake.certRoot}

control API: ${control.url}
${controlRoutes.map((line) => `  ${line}`).join("\n")}

Its devices live in memory: a restarted fake knows none of them (logins get 401) and has a new root.`)

const stop = (): void => {
  void Promise.all([control.close(), fake.close()]).then(() => process.exit(0))
}
process.once("SIGINT", stop)
process.once("SIGTERM", stop)
