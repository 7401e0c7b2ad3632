// Self time of a V8 `.cpuprofile` (node --cpu-prof) by function and by
// module, and the inclusive time of our own functions, the top entries of
// each: `tsx bench/cpu-profile-summary.ts FILE [TOP_N] [SKIP_MS]`.
import { readFileSync } from "node:fs"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
}
interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame
  readonly children?: ReadonlyArray<number>
}
interface CpuProfile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

/** A module by its package (`effect`, `@effect/platform`, `pg`…), our own files by workspace package, Node's by `node:`. */
export const moduleOf = (url: string): string => {
  if (url === "") return "(native / V8)"
  if (url.startsWith("node:")) return url.replace(/^node:(internal\/)?([^/]+).*$/, "node:$2")
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (inModules !== null) return inModules[1]!
  const ours = /packages\/([^/]+)\/(?:dist|src)\//.exec(url)
  if (ours !== null) return `@wa-gateway/${ours[1]}`
  return url.replace(/^file:\/\//, "")
}

const shortUrl = (url: string): string => url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/packages\//, "")

export interface SelfTime {
  readonly name: string
  readonly ms: number
  readonly share: number
}

const functionName = (frame: CallFrame): string =>
  `${frame.functionName || "(anonymous)"}${frame.url === "" ? "" : ` ${shortUrl(frame.url)}:${frame.lineNumber + 1}`}`

const isOurs = (frame: CallFrame): boolean => moduleOf(frame.url).startsWith("@wa-gateway/")

export interface Summary {
  readonly totalMs: number
  /** Self time per function and per module, largest first. */
  readonly functions: ReadonlyArray<SelfTime>
  readonly modules: ReadonlyArray<SelfTime>
  /** Time with one of our own functions on the stack (itself and everything it called), largest first. */
  readonly oursInclusive: ReadonlyArray<SelfTime>
}

/** `skipMs`: samples of the first milliseconds (start-up, warm-up) are left out. */
export const summarize = (profile: CpuProfile, skipMs = 0): Summary => {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parentOf = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id)
  const functions = new Map<string, number>()
  const modules = new Map<string, number>()
  const inclusive = new Map<string, number>()
  const add = (into: Map<string, number>, key: string, delta: number) => into.set(key, (into.get(key) ?? 0) + delta)
  let elapsed = 0
  let total = 0
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0
    elapsed += delta
    const frame = byId.get(id)?.callFrame
    if (frame === undefined || elapsed < skipMs * 1000) return
    total += delta
    add(functions, functionName(frame), delta)
    add(modules, moduleOf(frame.url), delta)
    const onStack = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const caller = byId.get(at)?.callFrame
      if (caller !== undefined && isOurs(caller)) onStack.add(functionName(caller))
    }
    for (const name of onStack) add(inclusive, name, delta)
  })
  const sorted = (entries: Map<string, number>): ReadonlyArray<SelfTime> =>
    [...entries].sort((a, b) => b[1] - a[1]).map(([name, micros]) => ({ name, ms: micros / 1000, share: micros / total }))
  return { totalMs: total / 1000, functions: sorted(functions), modules: sorted(modules), oursInclusive: sorted(inclusive) }
}

export const readProfile = (file: string): CpuProfile => JSON.parse(readFileSync(file, "utf8")) as CpuProfile

export const printSummary = (file: string, count = 25, skipMs = 0): void => {
  const { totalMs, functions, modules, oursInclusive } = summarize(readProfile(file), skipMs)
  const print = (title: string, rows: ReadonlyArray<SelfTime>) => {
    console.log(`\n${title}`)
    for (const row of rows.slice(0, count)) {
      console.log(`${(row.share * 100).toFixed(1).padStart(5)} %  ${row.ms.toFixed(0).padStart(6)} ms  ${row.name}`)
    }
  }
  console.log(`${file}: ${totalMs.toFixed(0)} ms sampled`)
  print("self time by module", modules)
  print("self time by function", functions)
  print("time with our own function on the stack (inclusive)", oursInclusive)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, count, skip] = process.argv.slice(2)
  if (file === undefined) throw new Error("usage: tsx bench/cpu-profile-summary.ts FILE.cpuprofile [TOP_N] [SKIP_MS]")
  printSummary(file, Number(count ?? 25), Number(skip ?? 0))
}
