// A TCP proxy between one runner and PostgreSQL, so the drill can cut that
// runner's database connection (every connection, both ways, and any new
// one refused) while the runner itself, its sockets and the others run on.
import { createServer, type Server, type Socket, connect } from "node:net"

export interface DbProxy {
  readonly port: number
  /** Destroys every proxied connection and refuses new ones until `restore`. */
  readonly cut: () => void
  readonly restore: () => void
  readonly close: () => Promise<void>
}

export const startDbProxy = (listenPort: number, target: { readonly host: string; readonly port: number }): Promise<DbProxy> =>
  new Promise((resolve, reject) => {
    const open = new Set<Socket>()
    let cut = false
    const track = (socket: Socket) => {
      open.add(socket)
      socket.once("close", () => open.delete(socket))
      socket.on("error", () => socket.destroy())
    }
    const server: Server = createServer((client) => {
      track(client)
      if (cut) {
        client.destroy()
        return
      }
      const upstream = connect(target.port, target.host)
      track(upstream)
      client.pipe(upstream)
      upstream.pipe(client)
      client.once("close", () => upstream.destroy())
      upstream.once("close", () => client.destroy())
    })
    server.once("error", reject)
    server.listen(listenPort, "127.0.0.1", () =>
      resolve({
        port: listenPort,
        cut: () => {
          cut = true
          for (const socket of open) socket.destroy()
        },
        restore: () => {
          cut = false
        },
        close: () =>
          new Promise((done) => {
            for (const socket of open) socket.destroy()
            server.close(() => done())
          })
      }))
  })
