// `npm run bench`: every benchmark, each as ratios against a baseline measured in the same run.
import { printTable } from "./support.js"
import { runStoreAppend } from "./store-append.js"

printTable("Event store append on PostgreSQL (DESIGN §6)", await runStoreAppend())
