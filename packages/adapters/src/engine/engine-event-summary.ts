import { EngineEvent } from "@wa-gateway/domain"
import { maskDigits, maskJid } from "../observability/log-masking.js"

/**
 * One engine event in words for a debug line: never a QR or a pairing code
 * (secrets while they live), the identity's numbers and JIDs only masked.
 */
export const engineEventSummary = (event: EngineEvent): string =>
  EngineEvent.$match(event, {
    QrUpdated: ({ attemptId, expiresAt }) => `engine: QR updated (attempt ${attemptId}, until ${expiresAt.toISOString()})`,
    PairingCodeIssued: ({ attemptId, expiresAt }) => `engine: pairing code issued (attempt ${attemptId}, until ${expiresAt.toISOString()})`,
    Paired: ({ attemptId, identity }) =>
      `engine: paired (attempt ${attemptId}) as ${maskDigits(identity.phoneNumber)}, ${maskJid(identity.waJid)}` +
      (identity.waLid === null ? "" : `, ${maskJid(identity.waLid)}`),
    Connected: () => "engine: connected",
    Disconnected: ({ cause, willReconnect }) => `engine: disconnected (${cause}${willReconnect ? ", reconnecting" : ""})`,
    LoggedOutByDevice: () => "engine: logged out by the device",
    PairingFailed: ({ attemptId, reason }) => `engine: pairing failed (attempt ${attemptId}, ${reason})`
  })
