import { Config, Option } from "effect"

/** An environment variable that may be unset; an empty one (common in compose files) means unset. */
export const optionalText = (name: string): Config.Config<Option.Option<string>> =>
  Config.option(Config.string(name)).pipe(Config.map(Option.filter((value) => value.trim() !== "")))
