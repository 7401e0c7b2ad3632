import type { ApiClient } from "./api-client.js"
import { decode } from "./decode.js"
import { LifecycleEvent } from "./lifecycle-wire.js"
import { createSseReader } from "./sse-frames.js"

// Live updates: the page's views reload when something may have changed.
// They hear each lifecycle event from the gateway's event stream
// (`GET /api/v1/events:stream`, spec/EVENTS.md), read with fetch because an
// EventSource cannot send the bearer header and the token stays out of URLs.
// When the stream drops (a proxy closing it, the gateway cutting a slow
// reader, a connection gone silent past its heartbeats) the views are polled
// until it is back; the reconnect sends Last-Event-ID, so the log's events in
// between still arrive.
// The views do not know which: they only subscribe.

export type LiveChange =
  /** A poll, or a (re)connected stream: anything may have changed. */
  | { readonly kind: "tick" }
  /** One lifecycle event from the stream. */
  | { readonly kind: "event"; readonly type: string; readonly sessionId: string | undefined }

/** `polling`: the stream is down and being reconnected; the views are polled meanwhile. */
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
  /** The gateway writes a comment every 15 s (spec/EVENTS.md): a stream silent this long is taken for dead. */
  readonly silenceMs: number
}

export const DEFAULT_LIVE_OPTIONS: LiveOptions = { pollIntervalMs: 2000, streamPath: "/api/v1/events:stream", silenceMs: 45_000 }

/** Reconnect delays: the first soon, then doubling up to this (a gateway that is down is not hammered). */
const FIRST_RETRY_MS = 1000
const MAX_RETRY_MS = 30_000

/** How a connection attempt ended: the stream ran and ended, it never came, or the token was refused. */
type StreamOutcome = "ended" | "failed" | "unauthorized"

export const startLiveUpdates = (client: ApiClient, options: LiveOptions = DEFAULT_LIVE_OPTIONS): LiveUpdates => {
  const listeners = new Set<(change: LiveChange) => void>()
  const modeListeners = new Set<(mode: LiveMode) => void>()
  const abort = new AbortController()
  let mode: LiveMode = "connecting"
  let pollTimer: ReturnType<typeof setTimeout> | undefined
  let polling = false
  /** The log position of the last session event heard; connection events carry none. */
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

  /** Reads frames until the stream ends; a stream silent for longer than `silenceMs` is closed (the connection may be dead). */
  const readStream = async (body: ReadableStream<Uint8Array>, close: () => void) => {
    const frames = createSseReader()
    const bytes = body.getReader()
    const text = new TextDecoder()
    let watchdog: ReturnType<typeof setTimeout> | undefined
    const rearm = () => {
      clearTimeout(watchdog)
      watchdog = setTimeout(close, options.silenceMs)
    }
    try {
      rearm()
      while (true) {
        const { done, value } = await bytes.read()
        if (done) return
        rearm()
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
    } finally {
      clearTimeout(watchdog)
    }
  }

  const connect = async (): Promise<StreamOutcome> => {
    // One connection's own signal: stopping ends it, and so does a silent stream.
    const connection = new AbortController()
    const stopped = () => connection.abort()
    abort.signal.addEventListener("abort", stopped)
    let streaming = false
    try {
      const headers: Record<string, string> = lastEventId === undefined ? {} : { "last-event-id": lastEventId }
      const response = await client.raw("GET", options.streamPath, { accept: "text/event-stream", headers, signal: connection.signal })
      if (response.status === 401) return "unauthorized"
      // Anything else than a stream (a proxy's 502, a 503 while the store is down) is tried again later.
      const isStream = response.status === 200 && (response.headers.get("content-type") ?? "").startsWith("text/event-stream")
      if (!isStream || response.body === null) {
        await response.body?.cancel()
        return "failed"
      }
      streaming = true
      stopPolling()
      setMode("stream")
      notify({ kind: "tick" }) // what happened while not connected (connection events are not in the log)
      await readStream(response.body, () => connection.abort())
      return "ended"
    } catch {
      return streaming ? "ended" : "failed"
    } finally {
      abort.signal.removeEventListener("abort", stopped)
    }
  }

  const run = async () => {
    let retryMs = FIRST_RETRY_MS
    while (!abort.signal.aborted) {
      const outcome = await connect()
      if (abort.signal.aborted) return
      // The views' own calls then meet the same 401, and the page signs out.
      if (outcome === "unauthorized") return notify({ kind: "tick" })
      startPolling()
      setMode("polling")
      notify({ kind: "tick" })
      // A stream that ran is reconnected soon; attempts that keep failing back off.
      if (outcome === "ended") retryMs = FIRST_RETRY_MS
      await new Promise((resolve) => setTimeout(resolve, retryMs))
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS)
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
