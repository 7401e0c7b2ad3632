import { randomBytes } from "node:crypto"
import { Effect } from "effect"
import { Webhook } from "standardwebhooks"
import type { WebhookSecrets } from "../store/webhook-store.js"

/** spec/EVENTS.md: the old secret still signs for 24 h after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000

/**
 * `whsec_` + base64 of 32 random bytes. From the operating system's CSPRNG,
 * not Effect's `Random`: the secret is a key, not a test value.
 */
export const makeWebhookSecret: Effect.Effect<string> = Effect.sync(() => `whsec_${randomBytes(32).toString("base64")}`)

/** The secrets that sign at `now`: the current one, and the replaced one during its overlap. */
export const liveSecrets = (secrets: WebhookSecrets, now: Date): ReadonlyArray<string> =>
  secrets.previous !== null && secrets.previous.expiresAt.getTime() > now.getTime()
    ? [secrets.current, secrets.previous.secret]
    : [secrets.current]

/** Signers by secret: a `Webhook` decodes its secret when made, once per secret rather than once per attempt. */
const signers = new Map<string, Webhook>()
const SIGNERS_KEPT = 1_000

const signerOf = (secret: string): Webhook => {
  let signer = signers.get(secret)
  if (signer === undefined) {
    if (signers.size >= SIGNERS_KEPT) signers.clear()
    signer = new Webhook(secret)
    signers.set(secret, signer)
  }
  return signer
}

/** `webhook-signature`: one `v1,<base64>` per live secret, space-separated (Standard Webhooks). */
export const signatureHeader = (secrets: ReadonlyArray<string>, messageId: string, timestamp: Date, body: string): string =>
  secrets.map((secret) => signerOf(secret).sign(messageId, timestamp, body)).join(" ")
