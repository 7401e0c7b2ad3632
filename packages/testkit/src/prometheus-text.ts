/** One sample of the Prometheus text format: `name{label="value",…} number`. */
export interface PrometheusSample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

/** A parser of the text exposition format, enough to read back what the gateway writes (its labels need no escapes). */
export const parsePrometheusText = (text: string): ReadonlyArray<PrometheusSample> =>
  text.split("\n").filter((line) => line !== "" && !line.startsWith("#")).map((line) => {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (match === null) throw new Error(`not a sample line: ${line}`)
    const labels = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)].map((m) => [m[1] ?? "", m[2] ?? ""])
    )
    return { name: match[1] ?? "", labels, value: Number(match[3]) }
  })

/** The sum of the samples named `name` whose labels include `labels`. */
export const sampleValue = (samples: ReadonlyArray<PrometheusSample>, name: string, labels: Record<string, string> = {}): number =>
  samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0)
