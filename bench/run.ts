// `npm run bench`: every benchmark, each as ratios against a baseline measured in
// the same run. Needs a built tree (`npm install` builds it) and PostgreSQL.
import { loadavg } from "node:os"
import { runHttpGet } from "./http-get.js"
import { runSessions1000 } from "./sessions-1000.js"
import { printTable } from "./support.js"
import { runStoreAppend } from "./store-append.js"

// Ratios hold up under load better than rates, but not completely: say what the machine was doing.
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ")
console.log(`load average at start: ${load()}`)
printTable("Event store append on PostgreSQL (DESIGN §6)", await runStoreAppend())
printTable("HTTP GET /api/v1/sessions/{id} (DESIGN §6)", await runHttpGet())
printTable("1,000 simulated paired sessions in one process (DESIGN §6)", await runSessions1000())
console.log(`\nload average at end: ${load()}`)
