/** The API's rule for a phone number (spec/API.md): digits only, no leading +, 8–15 digits. */
export const PHONE_DIGITS = /^[0-9]{8,15}$/

/** What is wrong with a typed phone number, in words, or null when the API will take it. */
export const phoneProblem = (input: string): string | null => {
  if (PHONE_DIGITS.test(input)) return null
  if (input === "") return "Enter the phone number in international format, e.g. 628123456789."
  if (input.startsWith("+")) return "Leave out the +: digits only, starting with the country code."
  if (/[^0-9]/.test(input)) return "Digits only: no spaces, dashes, dots or brackets."
  return `A phone number has 8 to 15 digits; this has ${input.length}.`
}
