/**
 * The server's binary nodes, as Baileys reads them. Attribute values are always strings: Baileys' encoder
 * counts a non-string attribute but does not write it, which corrupts the node.
 */
import type { BinaryNode } from "@whiskeysockets/baileys"

export const SERVER_JID = "s.whatsapp.net"

const unixSeconds = (): string => String(Math.floor(Date.now() / 1000))

export const iqResult = (id: string, content?: ReadonlyArray<BinaryNode>): BinaryNode => ({
  tag: "iq",
  attrs: { from: SERVER_JID, type: "result", id },
  ...(content === undefined ? {} : { content: [...content] })
})

export const iqError = (id: string, code: number, text: string): BinaryNode => ({
  tag: "iq",
  attrs: { from: SERVER_JID, type: "error", id },
  content: [{ tag: "error", attrs: { code: String(code), text } }]
})

/** Asks a new device to show QR codes: one `ref` per QR (Baileys shows the first 60 s, each later one 20 s). */
export const pairDevice = (id: string, refs: ReadonlyArray<string>): BinaryNode => ({
  tag: "iq",
  attrs: { from: SERVER_JID, type: "set", id, xmlns: "md" },
  content: [{ tag: "pair-device", attrs: {}, content: refs.map((ref) => ({ tag: "ref", attrs: {}, content: Buffer.from(ref) })) }]
})

export interface PairSuccessFields {
  /** An encoded `ADVSignedDeviceIdentityHMAC`. */
  readonly deviceIdentity: Uint8Array
  readonly jid: string
  readonly lid: string
  /** `<biz name>` is the only way to give the client a name at pairing (it becomes `creds.me.name`). */
  readonly businessName: string | undefined
  readonly platform: string
}

export const pairSuccess = (id: string, fields: PairSuccessFields): BinaryNode => ({
  tag: "iq",
  attrs: { from: SERVER_JID, type: "set", id, xmlns: "md", t: unixSeconds() },
  content: [{
    tag: "pair-success",
    attrs: {},
    content: [
      { tag: "device-identity", attrs: {}, content: fields.deviceIdentity },
      { tag: "platform", attrs: { name: fields.platform } },
      { tag: "device", attrs: { jid: fields.jid, lid: fields.lid } },
      ...(fields.businessName === undefined ? [] : [{ tag: "biz", attrs: { name: fields.businessName } }])
    ]
  }]
})

/** The answer to a companion_hello: the ref the phone's notification and the companion_finish refer to. */
export const linkCodeHelloResult = (id: string, ref: string): BinaryNode =>
  iqResult(id, [{
    tag: "link_code_companion_reg",
    attrs: {},
    content: [{ tag: "link_code_pairing_ref", attrs: {}, content: Buffer.from(ref) }]
  }])

export interface LinkCodeNotificationFields {
  readonly ref: string
  readonly primaryIdentityPublicKey: Uint8Array
  readonly wrappedPrimaryEphemeralPublicKey: Uint8Array
}

/** The phone entered the code: the notification the companion answers with companion_finish. */
export const linkCodeNotification = (id: string, fields: LinkCodeNotificationFields): BinaryNode => ({
  tag: "notification",
  attrs: { from: SERVER_JID, type: "link_code_companion_reg", id, t: unixSeconds() },
  content: [{
    tag: "link_code_companion_reg",
    attrs: { stage: "primary_hello" },
    content: [
      { tag: "link_code_pairing_ref", attrs: {}, content: Buffer.from(fields.ref) },
      { tag: "primary_identity_pub", attrs: {}, content: fields.primaryIdentityPublicKey },
      { tag: "link_code_pairing_wrapped_primary_ephemeral_pub", attrs: {}, content: fields.wrappedPrimaryEphemeralPublicKey }
    ]
  }]
})

/** A login accepted; Baileys reads `t` (server time) and `lid` (it becomes `creds.me.lid`). */
export const loginSuccess = (lid: string): BinaryNode => ({
  tag: "success",
  attrs: { t: unixSeconds(), lid, props: "0", location: "fake", creation: unixSeconds() }
})

/** No offline messages: without it the client keeps buffering its events. */
export const offlineDone = (): BinaryNode => ({
  tag: "ib",
  attrs: { from: SERVER_JID },
  content: [{ tag: "offline", attrs: { count: "0" } }]
})

/** A login refused: Baileys closes with `reason` as the status code. */
export const loginFailure = (reason: number): BinaryNode => ({ tag: "failure", attrs: { reason: String(reason) } })

/** Closes with `code` (515 restart required, 403 forbidden, 503 …). */
export const streamError = (code: number): BinaryNode => ({ tag: "stream:error", attrs: { code: String(code) } })

/** Another connection took over: no code, `conflict` maps to 440. */
export const streamReplaced = (): BinaryNode => ({
  tag: "stream:error",
  attrs: {},
  content: [{ tag: "conflict", attrs: { type: "replaced" } }]
})

/** The phone removed the linked device: 401. */
export const streamDeviceRemoved = (): BinaryNode => ({
  tag: "stream:error",
  attrs: { code: "401" },
  content: [{ tag: "conflict", attrs: { type: "device_removed" } }]
})
