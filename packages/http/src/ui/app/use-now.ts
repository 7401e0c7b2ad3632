import { useEffect, useState } from "./vendor/preact-hooks.js"

/** The current time, re-rendering every `everyMs` (for countdowns and "3 min ago"). */
export const useNow = (everyMs: number): number => {
  const [now, setNow] = useState(Date.now)
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs)
    return () => clearInterval(timer)
  }, [everyMs])
  return now
}
