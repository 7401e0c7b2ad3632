/**
 * The simulated phone: it links a waiting companion by scanning its QR or by entering its pairing code, the
 * way WhatsApp's primary device does (Baileys `Utils/validate-connection.js`, `Socket/messages-recv.js`).
 */
import { Curve, getBinaryNodeChild } from "@whiskeysockets/baileys"
import { sameBytes } from "./bytes.js"
import { deviceHandle, type FakeDevice } from "./device.js"
import { signedDeviceIdentity } from "./device-identity.js"
import { FakeWhatsAppError } from "./errors.js"
import { deriveAdvSecret, normalizePairingCode, openKeyBundle, unwrapEphemeralKey, wrapEphemeralKey } from "./pairing-code.js"
import type { PendingPairing, PendingPairings } from "./pairings.js"
import { parseQr } from "./qr.js"
import { deviceAddresses, isPhoneNumber, type Registry } from "./registry.js"
import { iqError, iqResult, linkCodeNotification, pairSuccess, streamError } from "./stanzas.js"

export interface PhoneIdentity {
  /** Digits only, with the country code (8–15 digits), as the gateway's API takes it. */
  readonly phoneNumber: string
  /** Given to the client at pairing as `<biz name>`, its `creds.me.name`; default: the name this number had before, if any. */
  readonly pushName?: string
}

export interface SimulatedPhone {
  /** Scans a QR string the client showed; resolves with the linked device once the client was told to restart (515). */
  scan(qr: string, phone: PhoneIdentity): Promise<FakeDevice>
  /** Enters a pairing code (`ABCD-1234` or `ABCD1234`) on the phone it was requested for; a wrong code rejects with `wrong_code`. */
  enterCode(code: string, phone: PhoneIdentity): Promise<FakeDevice>
}

export interface PhoneSettings {
  /** How long the phone waits for each answer of the client. */
  readonly timeoutMs: number
  /** `<platform name>` of pair-success: the phone's platform, `creds.platform` on the client. */
  readonly platform: string
}

export const makeSimulatedPhone = (registry: Registry, pairings: PendingPairings, settings: PhoneSettings): SimulatedPhone => {
  const checkPhone = (phone: PhoneIdentity): void => {
    if (!isPhoneNumber(phone.phoneNumber)) {
      throw new FakeWhatsAppError("invalid_phone_number", `${phone.phoneNumber} is not 8–15 digits`)
    }
  }

  /** pair-success, the client's pair-device-sign, then 515: common to both ways of pairing. */
  const link = async (pairing: PendingPairing, phone: PhoneIdentity, advSecret: Uint8Array): Promise<FakeDevice> => {
    const connection = pairing.connection
    const noiseKey = connection.clientStaticKey
    if (noiseKey === undefined) throw new FakeWhatsAppError("pairing_refused", "the companion has not finished its handshake")
    const account = registry.accountFor(phone.phoneNumber)
    if (phone.pushName !== undefined) account.pushName = phone.pushName
    const deviceId = account.nextDeviceId++
    const { jid, lid } = deviceAddresses(account, deviceId)
    const deviceIdentity = signedDeviceIdentity({
      account: account.identity,
      companionIdentityKey: pairing.identityKey,
      advSecret,
      keyIndex: deviceId
    })
    const answer = await connection
      .query(pairSuccess(connection.queryId(), { deviceIdentity, jid, lid, businessName: account.pushName, platform: settings.platform }), settings.timeoutMs)
      .catch((error: unknown) => {
        throw new FakeWhatsAppError("pairing_refused", `the companion did not accept pair-success: ${error instanceof Error ? error.message : String(error)}`)
      })
    if (answer.attrs.type !== "result" || getBinaryNodeChild(answer, "pair-device-sign") === undefined) {
      throw new FakeWhatsAppError("pairing_refused", "the companion answered pair-success without pair-device-sign")
    }
    const device = registry.addDevice(account, deviceId, noiseKey, pairing.identityKey, account.pushName)
    device.attach(connection, "pairing", connection.openedAt)
    pairings.remove(connection.id)
    // WhatsApp's normal restart right after pairing: the client reconnects and logs in as the new device.
    await connection.end(streamError(515))
    return deviceHandle(device, registry)
  }

  const withLinking = async (pairing: PendingPairing, run: () => Promise<FakeDevice>): Promise<FakeDevice> => {
    if (pairing.linking) throw new FakeWhatsAppError("pairing_in_progress", "a phone is linking this companion already")
    pairing.linking = true
    try {
      return await run()
    } finally {
      pairing.linking = false
    }
  }

  const scan = async (qr: string, phone: PhoneIdentity): Promise<FakeDevice> => {
    checkPhone(phone)
    const contents = parseQr(qr)
    if (contents === undefined) throw new FakeWhatsAppError("invalid_qr", "not a WhatsApp companion QR")
    const pairing = pairings.byRef(contents.ref)
    if (pairing === undefined) throw new FakeWhatsAppError("no_pending_qr", "no open connection shows this QR")
    if (!sameBytes(contents.noiseKey, pairing.connection.clientStaticKey) || !sameBytes(contents.identityKey, pairing.identityKey)) {
      throw new FakeWhatsAppError("invalid_qr", "the QR's keys are not those of the connection its ref was sent to")
    }
    return withLinking(pairing, () => link(pairing, phone, contents.advSecret))
  }

  const enterCode = async (code: string, phone: PhoneIdentity): Promise<FakeDevice> => {
    checkPhone(phone)
    const normalized = normalizePairingCode(code)
    if (normalized.length !== 8) throw new FakeWhatsAppError("invalid_code", `${code} is not an 8-character pairing code`)
    const pairing = await pairings.awaitCodeRequest(phone.phoneNumber, settings.timeoutMs)
    const request = pairing?.codeRequest
    if (pairing === undefined || request === undefined) {
      throw new FakeWhatsAppError("no_pending_code", `no pairing code was requested for ${phone.phoneNumber}`)
    }
    return withLinking(pairing, async () => {
      const account = registry.accountFor(phone.phoneNumber)
      // With a wrong code this is 32 unrelated bytes: only the key bundle below tells.
      const companionEphemeral = await unwrapEphemeralKey(request.wrappedCompanionEphemeralKey, normalized)
      if (companionEphemeral === undefined) throw new FakeWhatsAppError("pairing_refused", "the companion's wrapped key is malformed")
      const primaryEphemeral = Curve.generateKeyPair()
      const finished = pairing.nextCompanionFinish(settings.timeoutMs)
      const connection = pairing.connection
      connection.send(linkCodeNotification(connection.queryId(), {
        ref: request.ref,
        primaryIdentityPublicKey: account.identity.public,
        wrappedPrimaryEphemeralPublicKey: await wrapEphemeralKey(primaryEphemeral.public, normalized)
      }))
      const finish = await finished
      if (finish === undefined) throw new FakeWhatsAppError("timeout", "the companion did not send companion_finish")
      const sharedEphemeral = Curve.sharedKey(primaryEphemeral.private, companionEphemeral)
      const bundle = openKeyBundle(finish.wrappedKeyBundle, sharedEphemeral)
      if (bundle === undefined) {
        connection.send(iqError(finish.iqId, 401, "not-authorized"))
        throw new FakeWhatsAppError("wrong_code", "the code entered is not the companion's")
      }
      const namesThisPair = sameBytes(bundle.primaryIdentityKey, account.identity.public) &&
        sameBytes(bundle.companionIdentityKey, pairing.identityKey) &&
        sameBytes(finish.companionIdentityKey, pairing.identityKey)
      if (!namesThisPair) {
        connection.send(iqError(finish.iqId, 400, "bad-request"))
        throw new FakeWhatsAppError("pairing_refused", "the key bundle names other identity keys")
      }
      const sharedIdentity = Curve.sharedKey(account.identity.private, bundle.companionIdentityKey)
      // companion_finish is a query the client waits on: answer it before pair-success.
      connection.send(iqResult(finish.iqId))
      return link(pairing, phone, deriveAdvSecret(sharedEphemeral, sharedIdentity, bundle.random))
    })
  }

  return { scan, enterCode }
}
