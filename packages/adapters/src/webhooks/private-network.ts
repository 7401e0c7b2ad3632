import { BlockList, isIP } from "node:net"

// WEBHOOK_BLOCK_PRIVATE_NETWORKS: addresses a webhook must not reach when the
// operator says so (spec/EVENTS.md): loopback, private, link-local, unspecified.
const blocked = new BlockList()
blocked.addSubnet("0.0.0.0", 8, "ipv4") // "this network", including the unspecified 0.0.0.0
blocked.addSubnet("127.0.0.0", 8, "ipv4")
blocked.addSubnet("10.0.0.0", 8, "ipv4")
blocked.addSubnet("172.16.0.0", 12, "ipv4")
blocked.addSubnet("192.168.0.0", 16, "ipv4")
blocked.addSubnet("169.254.0.0", 16, "ipv4")
blocked.addAddress("::", "ipv6")
blocked.addAddress("::1", "ipv6")
blocked.addSubnet("fc00::", 7, "ipv6")
blocked.addSubnet("fe80::", 10, "ipv6")

const MAPPED_IPV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i

/** Whether an IP address (v4, v6 or v4-mapped v6) is loopback, private, link-local or unspecified. */
export const isPrivateAddress = (address: string): boolean => {
  const mapped = MAPPED_IPV4.exec(address)?.[1]
  if (mapped !== undefined) return blocked.check(mapped, "ipv4")
  const family = isIP(address)
  if (family === 4) return blocked.check(address, "ipv4")
  if (family === 6) return blocked.check(address, "ipv6")
  return false
}
