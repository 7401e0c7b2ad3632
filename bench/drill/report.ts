// The drill's table on stdout and its JSON under bench/results/.
import { mkdirSync, writeFileSync } from "node:fs"
import { loadavg } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { StepResult } from "./step.js"

const resultsDir = fileURLToPath(new URL("../results", import.meta.url))

const pad = (text: string, width: number) => (text.length >= width ? text : text + " ".repeat(width - text.length))
const padLeft = (text: string, width: number) => (text.length >= width ? text : " ".repeat(width - text.length) + text)

export const printTable = (title: string, results: ReadonlyArray<StepResult>): void => {
  const header = ["step", "requests", "2xx", "lost", "5xx", "time", "result"]
  const rows = results.map((r) => [
    r.step,
    String(r.requests),
    String(r.acknowledged),
    String(r.lost),
    String(r.serverErrors),
    `${(r.durationMs / 1000).toFixed(1)} s`,
    r.ok ? "ok" : "FAILED"
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((cell, i) => (i === 0 || i === cells.length - 1 ? pad(cell, widths[i]!) : padLeft(cell, widths[i]!))).join(" | ")
  console.log(`\n## ${title}\n`)
  console.log(line(header))
  console.log(widths.map((w) => "-".repeat(w)).join("-|-"))
  for (const row of rows) console.log(line(row))
  console.log("")
  for (const r of results) console.log(`- ${r.step}: ${r.measure}`)
  for (const r of results.filter((result) => !result.ok)) {
    console.log(`\nFAILED ${r.step}:`)
    for (const failure of r.failures.slice(0, 15)) console.log(`  - ${failure}`)
  }
}

export const writeResults = (name: string, summary: Record<string, unknown>, results: ReadonlyArray<StepResult>): string => {
  mkdirSync(resultsDir, { recursive: true })
  const file = join(resultsDir, `${name}.json`)
  const document = { ...summary, loadAverage: loadavg(), node: process.version, finishedAt: new Date().toISOString(), steps: results }
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`)
  return file
}
