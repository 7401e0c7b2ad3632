// Loaded into the gateway under test (`node --expose-gc --import …`): answers
// the drill's "memory" message over IPC with the heap after a full collection,
// so the soak measures what is kept, not garbage not yet collected. JavaScript,
// not TypeScript: it runs inside the server's own node, without tsx.
process.on("message", (message) => {
  if (message !== "memory") return
  globalThis.gc?.()
  const { rss, heapUsed } = process.memoryUsage()
  process.send?.({ rss, heapUsed })
})
// The channel must not keep the server alive once SIGTERM has drained it.
process.channel?.unref()
