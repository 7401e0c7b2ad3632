import { createContext } from "./vendor/preact.js"
import { useContext } from "./vendor/preact-hooks.js"
import type { ApiClient } from "./api-client.js"
import type { LiveUpdates } from "./live-updates.js"

/** What every signed-in view uses: the API, live updates, the engine, and a way to say something happened. */
export interface Services {
  readonly client: ApiClient
  readonly live: LiveUpdates
  /** `/readyz`'s engine (`simulator`, `baileys`), or null when unknown. */
  readonly engine: string | null
  /** Shows a short message in the page's status area (read out by screen readers). */
  readonly notify: (message: string) => void
}

export const ServicesContext = createContext<Services | null>(null)

export const useServices = (): Services => {
  const services = useContext(ServicesContext)
  if (services === null) throw new Error("a signed-in view rendered outside the signed-in shell")
  return services
}
