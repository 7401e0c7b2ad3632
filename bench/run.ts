// `npm run bench`: every benchmark, each as ratios against a baseline measured in
// the same run; `npm run bench -- <name> …`: only the named ones. Needs a built
// tree (`npm install` builds it) and PostgreSQL.
import { loadavg } from "node:os"
import { runHttpGet } from "./http-get.js"
import { realEngineBench } from "./real-engine.js"
import { runSessions1000 } from "./sessions-1000.js"
import { printTable } from "./support.js"
import { runStoreAppend } from "./store-append.js"

const benches: ReadonlyArray<{ readonly name: string; readonly run: () => Promise<void> }> = [
  { name: "store-append", run: async () => printTable("Event store append on PostgreSQL (DESIGN §6)", await runStoreAppend()) },
  { name: "http-get", run: async () => printTable("HTTP GET /api/v1/sessions/{id} (DESIGN §6)", await runHttpGet()) },
  { name: "sessions-1000", run: async () => printTable("1,000 simulated paired sessions in one process (DESIGN §6)", await runSessions1000()) },
  // prints its own table and writes bench/results/real-engine.json
  { name: "real-engine", run: realEngineBench }
]

const asked = process.argv.slice(2)
const unknown = asked.filter((name) => !benches.some((bench) => bench.name === name))
if (unknown.length > 0) {
  console.error(`unknown bench: ${unknown.join(", ")}; known: ${benches.map((b) => b.name).join(", ")}`)
  process.exit(2)
}

// Ratios hold up under load better than rates, but not completely: say what the machine was doing.
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ")
console.log(`load average at start: ${load()}`)
for (const bench of benches) if (asked.length === 0 || asked.includes(bench.name)) await bench.run()
console.log(`\nload average at end: ${load()}`)
