import { createRequire } from "node:module"
import { Schema } from "effect"

// From src/webhooks or dist/webhooks alike, the package's own package.json is two folders up.
const manifest = Schema.decodeUnknownSync(Schema.Struct({ version: Schema.String }))(createRequire(import.meta.url)("../../package.json"))

/** spec/EVENTS.md: `user-agent: wa-gateway/<version>` on every delivery. */
export const USER_AGENT = `wa-gateway/${manifest.version}`
