import { useCallback, useEffect, useState } from "./vendor/preact-hooks.js"
import { type ApiFailure, asFailure } from "./api-client.js"

export interface Resource<T> {
  /** The last data loaded; kept while a reload runs or fails, so views do not flicker. */
  readonly data: T | undefined
  /** Why the last load failed; cleared by the next success. */
  readonly error: ApiFailure | undefined
  readonly loading: boolean
  readonly reload: () => void
  /** Shows data a call already answered (e.g. the session after `:logout`) without waiting for a reload. */
  readonly replace: (data: T) => void
}

interface State<T> {
  readonly data: T | undefined
  readonly error: ApiFailure | undefined
  readonly loading: boolean
}

/** Loads on mount, when `deps` change and on `reload()`; an answer to a superseded load is dropped. */
export const useResource = <T>(load: () => Promise<T>, deps: ReadonlyArray<unknown>): Resource<T> => {
  const [state, setState] = useState<State<T>>({ data: undefined, error: undefined, loading: true })
  const [generation, setGeneration] = useState(0)

  useEffect(() => {
    let current = true
    setState((previous) => ({ ...previous, loading: true }))
    load().then(
      (data) => current && setState({ data, error: undefined, loading: false }),
      (error: unknown) => current && setState((previous) => ({ ...previous, error: asFailure(error), loading: false }))
    )
    return () => {
      current = false
    }
  }, [...deps, generation])

  const reload = useCallback(() => setGeneration((n) => n + 1), [])
  const replace = useCallback((data: T) => setState({ data, error: undefined, loading: false }), [])
  return { ...state, reload, replace }
}
