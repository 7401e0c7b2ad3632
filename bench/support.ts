import pg from "pg"

/** Where benchmarks run: a database of their own, recreated each run. */
export const benchDatabaseUrl = async (name: string): Promise<string> => {
  const base = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"
  const url = new URL(base)
  const admin = new pg.Client({ connectionString: base })
  await admin.connect()
  await admin.query(`drop database if exists ${name} with (force)`)
  await admin.query(`create database ${name}`)
  await admin.end()
  url.pathname = `/${name}`
  return url.toString()
}

export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Runs `count` operations over `writers` concurrent loops; returns operations per second. */
export const throughput = async (count: number, writers: number, op: (writer: number, i: number) => Promise<unknown>): Promise<number> => {
  const perWriter = Math.ceil(count / writers)
  const started = performance.now()
  await Promise.all(Array.from({ length: writers }, async (_, w) => {
    for (let i = 0; i < perWriter; i++) await op(w, i)
  }))
  return (perWriter * writers) / ((performance.now() - started) / 1000)
}

export const ratio = (value: number, baseline: number): string => `${(value / baseline).toFixed(2)}×`

export interface BenchLine {
  readonly name: string
  readonly value: string
  readonly target?: string
  readonly ok?: boolean
}

export const printTable = (title: string, lines: ReadonlyArray<BenchLine>): void => {
  console.log(`\n## ${title}`)
  for (const line of lines) {
    const verdict = line.ok === undefined ? "" : line.ok ? "  ok" : "  BELOW TARGET"
    console.log(`- ${line.name}: ${line.value}${line.target === undefined ? "" : ` (target ${line.target})`}${verdict}`)
  }
}
