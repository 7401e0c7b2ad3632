import { type Decoded, object, optional, string } from "./decode.js"

/** The payload of a lifecycle event (spec/EVENTS.md), as far as the page reads it. */
export const LifecycleEvent = object({
  type: string,
  timestamp: string,
  data: object({ sessionId: optional(string) })
})
export type LifecycleEvent = Decoded<typeof LifecycleEvent>
