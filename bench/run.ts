// `npm run bench`: every benchmark, each as ratios against a baseline measured in
// the same run. Needs a built tree (`npm install` builds it) and PostgreSQL.
import { runHttpGet } from "./http-get.js"
import { printTable } from "./support.js"
import { runStoreAppend } from "./store-append.js"

printTable("Event store append on PostgreSQL (DESIGN §6)", await runStoreAppend())
printTable("HTTP GET /api/v1/sessions/{id} (DESIGN §6)", await runHttpGet())
