// A bench's run as a file: bench/results/<name>.json, beside the table on stdout.
import { execFileSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { cpus, loadavg } from "node:os"
import { fileURLToPath } from "node:url"
import { type BenchLine, printTable } from "./support.js"

const root = fileURLToPath(new URL("..", import.meta.url))
export const resultsDir = fileURLToPath(new URL("results/", import.meta.url))

/** What a bench measured: its table, and the figures behind it (every round's raw numbers). */
export interface BenchOutcome {
  readonly lines: ReadonlyArray<BenchLine>
  readonly figures: Record<string, unknown>
  readonly settings?: Record<string, unknown>
}

export interface Bench {
  /** The name `npm run bench -- <name>` takes and the result file's. */
  readonly name: string
  readonly title: string
  readonly run: () => Promise<BenchOutcome>
}

/** The 1, 5 and 15 minute load averages: other developers' test runs share this machine's cores. */
const machineLoad = (): ReadonlyArray<number> => loadavg().map((l) => Number(l.toFixed(2)))

const git = (...args: Array<string>): string | null => {
  try {
    return execFileSync("git", args, { cwd: root, stdio: ["ignore", "pipe", "ignore"] }).toString().trim()
  } catch {
    return null
  }
}

/** Runs a bench, prints its table with the machine's load before and after, writes its result file; true when every target was met. */
export const runBench = async (bench: Bench): Promise<boolean> => {
  const loadAtStart = machineLoad()
  const startedAt = new Date()
  console.log(`\n# ${bench.name}: load average at start ${loadAtStart.join(" ")} (${cpus().length} CPUs)`)
  const outcome = await bench.run()
  const loadAtEnd = machineLoad()
  printTable(bench.title, outcome.lines)
  console.log(`load average at end: ${loadAtEnd.join(" ")}`)
  const targets = outcome.lines
    .filter((line) => line.ok !== undefined)
    .map((line) => ({ name: line.name, value: line.value, target: line.target, met: line.ok }))
  const status = git("status", "--porcelain")
  const result = {
    name: bench.name,
    title: bench.title,
    date: startedAt.toISOString(),
    durationSeconds: Number(((Date.now() - startedAt.getTime()) / 1000).toFixed(1)),
    commit: git("rev-parse", "HEAD"),
    uncommittedChanges: status === null ? null : status !== "",
    node: process.version,
    machine: { cpus: cpus().length, loadAtStart, loadAtEnd },
    settings: outcome.settings ?? {},
    targets,
    allTargetsMet: targets.every((t) => t.met === true),
    lines: outcome.lines,
    figures: outcome.figures
  }
  mkdirSync(resultsDir, { recursive: true })
  const file = `${resultsDir}${bench.name}.json`
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
  console.log(`written: bench/results/${bench.name}.json`)
  return result.allTargetsMet
}

/** `tsx bench/<name>.ts` runs one bench on its own. */
export const runIfMain = async (moduleUrl: string, bench: Bench): Promise<void> => {
  if (moduleUrl !== `file://${process.argv[1]}`) return
  const met = await runBench(bench)
  process.exitCode = met ? 0 : 1
}
