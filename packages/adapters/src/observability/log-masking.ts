// Phone numbers and JIDs are personal data: a log line may say which number
// it is about only as much as an operator needs to tell numbers apart.

/** `628123456789` → `6281******89`: the country code and two last digits; a run too short to keep any shows only stars. */
export const maskDigits = (digits: string): string =>
  digits.length < 8 ? "*".repeat(digits.length) : `${digits.slice(0, 4)}${"*".repeat(digits.length - 6)}${digits.slice(-2)}`

/** `628123456789:12@s.whatsapp.net` → `6281******89:12@s.whatsapp.net`: the user part masked, device and server kept. */
export const maskJid = (jid: string): string => {
  const match = /^([^:@]*)(.*)$/.exec(jid)
  return match === null ? "*" : `${maskDigits(match[1] ?? "")}${match[2] ?? ""}`
}
