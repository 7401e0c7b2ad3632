/**
 * Headers of every dashboard response. The page runs only its own scripts and
 * styles (no inline ones), shows QR codes from blob: URLs, talks only to this
 * gateway, and cannot be framed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'"
].join("; ")

export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer"
}

/** File names carry no version, so the browser revalidates every time; an unchanged file costs a 304. */
export const UI_CACHE_CONTROL = "no-cache"
