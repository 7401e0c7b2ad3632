import { useEffect, useState } from "./vendor/preact-hooks.js"
import type { LiveMode, LiveUpdates } from "./live-updates.js"

export const useLiveMode = (live: LiveUpdates): LiveMode => {
  const [mode, setMode] = useState(live.mode)
  useEffect(() => {
    setMode(live.mode())
    return live.onModeChange(setMode)
  }, [live])
  return mode
}
