import { describe, expect, it } from "vitest"
import { maskDigits, maskJid } from "./log-masking.js"

describe("masking phone numbers and JIDs for the log", () => {
  it("keeps four leading and two trailing digits of a phone number", () => {
    expect(maskDigits("628123456789")).toBe("6281******89")
    expect(maskDigits("12345678")).toBe("1234**78")
  })

  it("shows only stars for a run too short to keep any digit", () => {
    expect(maskDigits("1234567")).toBe("*******")
  })

  it("masks a JID's user part and keeps its device and server", () => {
    expect(maskJid("628123456789:12@s.whatsapp.net")).toBe("6281******89:12@s.whatsapp.net")
    expect(maskJid("123456789012345:3@lid")).toBe("1234*********45:3@lid")
    expect(maskJid("628123456789@s.whatsapp.net")).toBe("6281******89@s.whatsapp.net")
  })
})
