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

const sorted = (values: ReadonlyArray<number>): Array<number> => [...values].sort((a, b) => a - b)

/** The value at quantile `q` (0..1), interpolated between neighbours. */
export const quantile = (values: ReadonlyArray<number>, q: number): number => {
  const s = sorted(values)
  if (s.length === 0) return Number.NaN
  const at = (s.length - 1) * q
  const low = Math.floor(at)
  const high = Math.ceil(at)
  return s[low]! + (s[high]! - s[low]!) * (at - low)
}

export const median = (values: ReadonlyArray<number>): number => quantile(values, 0.5)

/**
 * How far a set of measurements spreads around its median: half the
 * interquartile range as a share of the median (`±x %`), robust to the odd
 * round another developer's test run slowed down; min and max beside it.
 */
export interface Spread {
  readonly median: number
  readonly halfIqrShare: number
  readonly min: number
  readonly max: number
  readonly values: ReadonlyArray<number>
}

export const spread = (values: ReadonlyArray<number>): Spread => {
  const m = median(values)
  return {
    median: m,
    halfIqrShare: (quantile(values, 0.75) - quantile(values, 0.25)) / 2 / m,
    min: Math.min(...values),
    max: Math.max(...values),
    values
  }
}

export const formatSpread = (s: Spread, digits = 2, unit = ""): string =>
  `${s.median.toFixed(digits)}${unit} ±${(s.halfIqrShare * 100).toFixed(1)} % (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`

/**
 * A 95 % confidence interval of the median, by bootstrap (2,000 resamples, a
 * fixed seed so a run's figures can be recomputed from its result file). It
 * narrows as rounds are added, which the spread of the rounds themselves
 * does not: the half-width as a share of the median says how well the
 * median ratio is known.
 */
export interface MedianInterval {
  readonly median: number
  readonly low: number
  readonly high: number
  readonly halfWidthShare: number
}

export const medianInterval = (values: ReadonlyArray<number>): MedianInterval => {
  let seed = 0x9e3779b9
  const random = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const medians = Array.from({ length: 2000 }, () => median(values.map(() => values[Math.floor(random() * values.length)]!)))
  const m = median(values)
  const low = quantile(medians, 0.025)
  const high = quantile(medians, 0.975)
  return { median: m, low, high, halfWidthShare: (high - low) / 2 / m }
}

export const formatInterval = (i: MedianInterval, digits = 2, unit = ""): string =>
  `${i.median.toFixed(digits)}${unit} (95 % CI ${i.low.toFixed(digits)}–${i.high.toFixed(digits)}, ±${(i.halfWidthShare * 100).toFixed(1)} %)`

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

/** One line of a bench's table; `target` and `ok` when the line is held to a target. */
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

/** Each round runs every contestant once, in an order that rotates from round to round (A B C, B C A, C A B…). */
export const interleaved = async <K extends string>(
  rounds: number,
  contestants: ReadonlyArray<K>,
  measure: (contestant: K, round: number) => Promise<number>
): Promise<Record<K, Array<number>>> => {
  const results = Object.fromEntries(contestants.map((c) => [c, [] as Array<number>])) as Record<K, Array<number>>
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < contestants.length; k++) {
      const contestant = contestants[(round + k) % contestants.length]!
      results[contestant].push(await measure(contestant, round))
    }
  }
  return results
}

/** Per-round ratios of `a` to `b` (both measured in the same rounds). */
export const roundRatios = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): Array<number> => a.map((x, i) => x / b[i]!)
