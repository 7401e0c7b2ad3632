// The server's JSON log lines at ERROR or FATAL: none may come from a client's mistake.

const SERIOUS = /"logLevel":"(ERROR|FATAL)"/

export const seriousLines = (lines: ReadonlyArray<string>): ReadonlyArray<string> => lines.filter((line) => SERIOUS.test(line))
