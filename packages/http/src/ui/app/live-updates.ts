import type { ApiClient } from "./api-client.js"
import { decode } from "./decode.js"
import { LifecycleEvent } from "./lifecycle-wire.js"
import { createSseReader } from "./sse-frames.js"

// Live updates: the page's views reload when something may have changed.
// With the gateway's event stream (`GET /api/v1/events:stream`, EVENTS.md)
// they hear each lifecycle event as it happens; a gateway without it (404) or
// with anything but `200 text/event-stream` there gets polled instead. The
// views do not know which: they only subscribe.

export type LiveChange =
  /** A poll, or a (re)connected stream: anything may have changed. */
  | { readonly kind: "tick" }
  /** One lifecycle event from the stream. */
  | { readonly kind: "event"; readonly type: string; readonly sessionId: string | undefined }

export type LiveMode = "connecting" | "stream" | "polling"

export interface LiveUpdates {
  readonly subscribe: (listener: (change: LiveChange) => void) => () => void
  readonly mode: () => LiveMode
  readonly onModeChange: (listener: (mode: LiveMode) => void) => () => void
  readonly stop: () => void
}

export interface LiveOptions {
  readonly pollIntervalMs: number
  readonly streamPath: string
}

export const DEFAULT_LIVE_OPTIONS: LiveOptions = { pollIntervalMs: 2000, streamPath: "/api/v1/events:stream" }

/** Statuses that mean "no stream on this gateway", as opposed to "try again later". */
const ABSENT = new Set([400, 403, 404, 405, 406, 501])

/** How a connection attempt ended: no stream here, a stream that broke (or never came), or a token refused. */
type StreamOutcome = "absent" | "lost" | "streamed" | "unauthorized"

export const startLiveUpdates = (client: ApiClient, options: LiveOptions = DEFAULT_LIVE_OPTIONS): LiveUpdates => {
  const listeners = new Set<(change: LiveChange) => void>()
  const modeListeners = new Set<(mode: LiveMode) => void>()
  const abort = new AbortController()
  let mode: LiveMode = "connecting"
  let pollTimer: ReturnType<typeof setTimeout> | undefined
  let polling = false
  let lastEventId: string | undefined

  const notify = (change: LiveChange) => listeners.forEach((listener) => listener(change))
  const setMode = (next: LiveMode) => {
    mode = next
    modeListeners.forEach((listener) => listener(next))
  }

  // Polling pauses while the tab is hidden and catches up as soon as it shows again.
  const schedulePoll = () => {
    clearTimeout(pollTimer)
    if (polling && document.visibilityState === "visible") pollTimer = setTimeout(poll, options.pollIntervalMs)
  }
  const poll = () => {
    notify({ kind: "tick" })
    schedulePoll()
  }
  const onVisibility = () => {
    if (!polling) return
    if (document.visibilityState === "visible") poll()
    else clearTimeout(pollTimer)
  }
  document.addEventListener("visibilitychange", onVisibility)
  const startPolling = () => {
    if (polling) return
    polling = true
    schedulePoll()
  }
  const stopPolling = () => {
    polling = false
    clearTimeout(pollTimer)
  }

  const readStream = async (body: ReadableStream<Uint8Array>) => {
    const frames = createSseReader()
    const bytes = body.getReader()
    const text = new TextDecoder()
    while (true) {
      const { done, value } = await bytes.read()
      if (done) return
      for (const frame of frames.push(text.decode(value, { stream: true }))) {
        if (frame.id !== undefined) lastEventId = frame.id
        try {
          const event = decode(LifecycleEvent, JSON.parse(frame.data))
          notify({ kind: "event", type: event.type, sessionId: event.data.sessionId })
        } catch {
          notify({ kind: "tick" }) // a frame this page cannot read: reload to be safe
        }
      }
    }
  }

  const connect = async (): Promise<StreamOutcome> => {
    try {
      const headers: Record<string, string> = lastEventId === undefined ? {} : { "last-event-id": lastEventId }
      const response = await client.raw("GET", options.streamPath, { accept: "text/event-stream", headers, signal: abort.signal })
      if (response.status === 401) return "unauthorized"
      const isStream = response.status === 200 && (response.headers.get("content-type") ?? "").startsWith("text/event-stream")
      if (!isStream || response.body === null) {
        await response.body?.cancel()
        return ABSENT.has(response.status) || response.status === 200 ? "absent" : "lost"
      }
      stopPolling()
      setMode("stream")
      notify({ kind: "tick" }) // what happened while not connected
      await readStream(response.body)
      return "streamed"
    } catch {
      return "lost"
    }
  }

  const run = async () => {
    let retryMs = 1000
    while (!abort.signal.aborted) {
      const outcome = await connect()
      if (abort.signal.aborted) return
      // The views' own calls then meet the same 401, and the page signs out.
      if (outcome === "unauthorized") return notify({ kind: "tick" })
      // Polled meanwhile either way: for good when the gateway has no stream, until it is back when it broke.
      startPolling()
      setMode("polling")
      if (outcome === "absent") return
      notify({ kind: "tick" })
      if (outcome === "streamed") retryMs = 1000
      await new Promise((resolve) => setTimeout(resolve, retryMs))
      retryMs = Math.min(retryMs * 2, 30_000)
    }
  }
  void run()

  return {
    subscribe: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    mode: () => mode,
    onModeChange: (listener) => {
      modeListeners.add(listener)
      return () => modeListeners.delete(listener)
    },
    stop: () => {
      abort.abort()
      stopPolling()
      document.removeEventListener("visibilitychange", onVisibility)
      listeners.clear()
      modeListeners.clear()
    }
  }
}
