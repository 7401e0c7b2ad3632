// Loopback ports for the drill's processes, outside the ephemeral range
// (32768–60999) so no outgoing connection of another process can hold them.
import { createServer } from "node:net"

const isFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const probe = createServer()
    probe.once("error", () => resolve(false))
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)))
  })

/** A free port in [from, to), tried in random order, a bounded number of times. */
export const freePort = async (from: number, to: number): Promise<number> => {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from))
    if (await isFree(port)) return port
  }
  throw new Error(`no free port in ${from}–${to}`)
}
