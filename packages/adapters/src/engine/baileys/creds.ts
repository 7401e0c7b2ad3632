import { Either, Option, Schema } from "effect"
import { PhoneNumber, WaIdentity } from "@wa-gateway/domain"
import type { AuthenticationCreds } from "./baileys.js"

// What a session's creds say about its link to a phone.

/**
 * Linked to a phone: `creds.account` is set (only `pair-success` sets it) or
 * `creds.me.id` names a device (`<pn>:<device>@s.whatsapp.net`). Never just
 * `creds.me`: `requestPairingCode` sets `me = {id: "<pn>@s.whatsapp.net"}`
 * before anything is sent, and a connection made with that half-made `me`
 * logs in as `<pn>:0`, which WhatsApp refuses (401).
 */
export const isPaired = (creds: AuthenticationCreds): boolean =>
  (creds.account !== undefined && creds.account !== null) || /^\d+:\d+@/.test(creds.me?.id ?? "")

/** `<user>[:<device>]@<server>` → the user part. */
const jidUser = (jid: string): string => jid.split("@")[0]?.split(":")[0] ?? ""

/**
 * The identity WhatsApp reported for the linked device: the JID as
 * reported (with its device suffix), the LID, the phone number (the JID's
 * user part) and the name, if WhatsApp gave one.
 */
export const identityOf = (creds: AuthenticationCreds): Either.Either<WaIdentity, string> => {
  const me = creds.me
  if (me === undefined) return Either.left("the creds name no account")
  return Option.match(Schema.decodeUnknownOption(PhoneNumber)(jidUser(me.id)), {
    onNone: () => Either.left("the account's JID has no phone number"),
    onSome: (phoneNumber) =>
      Either.right(new WaIdentity({
        phoneNumber,
        waJid: me.id,
        waLid: me.lid !== undefined && me.lid !== "" ? me.lid : null,
        pushName: me.name !== undefined && me.name !== "" ? me.name : null
      }))
  })
}

const PairingCode = Schema.String.pipe(Schema.pattern(/^[A-Z0-9]{8}$/))

/** Baileys answers 8 characters; people read them as `ABCD-1234`. */
export const formatPairingCode = (code: string): Either.Either<string, string> =>
  Schema.is(PairingCode)(code) ? Either.right(`${code.slice(0, 4)}-${code.slice(4)}`) : Either.left("WhatsApp's pairing code is not 8 letters and digits")
