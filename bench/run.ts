// `npm run bench`: every benchmark; `npm run bench -- <name> …`: only those.
// Each measures against baselines in the same run, prints a table and writes
// bench/results/<name>.json. Needs a built tree (`npm run build`) and PostgreSQL.
import { httpGet } from "./http-get.js"
import { realEngine } from "./real-engine.js"
import { rehydrate } from "./rehydrate.js"
import { type Bench, runBench } from "./results.js"
import { sessions1000 } from "./sessions-1000.js"
import { storeAppend } from "./store-append.js"
import { webhooks } from "./webhooks.js"

const benches: ReadonlyArray<Bench> = [storeAppend, rehydrate, httpGet, sessions1000, webhooks, realEngine]

const asked = process.argv.slice(2)
const unknown = asked.filter((name) => !benches.some((bench) => bench.name === name))
if (unknown.length > 0) {
  console.error(`unknown bench: ${unknown.join(", ")}; known: ${benches.map((b) => b.name).join(", ")}`)
  process.exit(2)
}
const missed: Array<string> = []
for (const bench of benches) {
  if (asked.length > 0 && !asked.includes(bench.name)) continue
  if (!(await runBench(bench))) missed.push(bench.name)
}
if (missed.length > 0) {
  console.log(`\ntargets missed in: ${missed.join(", ")}`)
  process.exitCode = 1
}
