/**
 * Answers to what a Baileys client asks after login (`<success>`): the pre-key count, the key-bundle digest,
 * `passive`, pings and the init queries. An empty result is enough for everything else it asks.
 */
import type { BinaryNode } from "@whiskeysockets/baileys"
import { iqResult } from "./stanzas.js"

const firstChildTag = (node: BinaryNode): string | undefined =>
  Array.isArray(node.content) ? node.content[0]?.tag : undefined

/** The answer to an `iq get|set`, or undefined for a node that is not a query. */
export const answerQuery = (iq: BinaryNode, preKeyCount: number): BinaryNode | undefined => {
  const id = iq.attrs.id
  if (iq.tag !== "iq" || id === undefined || (iq.attrs.type !== "get" && iq.attrs.type !== "set")) return undefined
  const child = firstChildTag(iq)
  switch (iq.attrs.xmlns) {
    case "encrypt":
      // a count at or below 5 makes the client generate and upload pre-keys before it opens
      if (child === "count") return iqResult(id, [{ tag: "count", attrs: { value: String(preKeyCount) } }])
      // without a <digest> child the client uploads its pre-keys again
      if (child === "digest") return iqResult(id, [{ tag: "digest", attrs: {} }])
      return iqResult(id)
    case "abt":
      return iqResult(id, [{ tag: "props", attrs: { protocol: "1" } }])
    case "blocklist":
      return iqResult(id, [{ tag: "list", attrs: {} }])
    case "privacy":
      return iqResult(id, [{ tag: "privacy", attrs: {} }])
    default:
      return iqResult(id)
  }
}
