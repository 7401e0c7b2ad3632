import { decode } from "./decode.js"
import { Readiness } from "./sessions-wire.js"

/**
 * The engine the gateway runs (`/readyz`, no token needed), or null when it
 * cannot say right now (503 while the store is down).
 */
export const fetchEngine = async (): Promise<string | null> => {
  try {
    const response = await fetch("/readyz", { cache: "no-store", credentials: "omit" })
    return response.ok ? decode(Readiness, await response.json()).engine : null
  } catch {
    return null
  }
}
