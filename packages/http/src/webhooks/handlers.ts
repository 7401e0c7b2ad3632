import { HttpApiBuilder } from "@effect/platform"
import { Effect, Option, Schema } from "effect"
import {
  Gateway,
  toDeliveryRepresentation,
  toWebhookRepresentation as toWebhook,
  WebhookId
} from "@wa-gateway/adapters"
import { SimulatorGatewayApi } from "../api.js"
import { CurrentPrincipal } from "../auth/principal.js"
import { mapErrors, NotFound } from "../errors.js"
import { requireCapability } from "../middleware/capability.js"
import { DEFAULT_PAGE_SIZE } from "../sessions/api.js"
import { webhooksPolicy } from "./policy.js"

const decodeWebhookId = Schema.decodeUnknownOption(WebhookId)

/** A malformed id names no webhook: 404, like an unknown one or another org's. */
export const parseWebhookId = (raw: string): Effect.Effect<WebhookId, NotFound> =>
  Option.match(decodeWebhookId(raw), {
    onNone: () => Effect.fail(new NotFound({ message: "webhook not found", details: {} })),
    onSome: Effect.succeed
  })

export const WebhooksLive = HttpApiBuilder.group(SimulatorGatewayApi, "webhooks", (handlers) =>
  Effect.gen(function* () {
    const { webhooks } = yield* Gateway

    /** Capability first, then the caller's org for the gateway call. */
    const authorized = (route: keyof typeof webhooksPolicy) =>
      Effect.zipRight(requireCapability(webhooksPolicy[route]), Effect.map(CurrentPrincipal, (p) => p.orgId))

    return handlers
      .handle("create", ({ payload }) =>
        Effect.gen(function* () {
          const orgId = yield* authorized("create")
          const { secret, webhook } = yield* mapErrors(webhooks.create(orgId, payload))
          return { ...toWebhook(webhook), secret }
        }))
      .handle("list", ({ urlParams }) =>
        Effect.gen(function* () {
          const orgId = yield* authorized("list")
          const page = yield* mapErrors(webhooks.list(orgId, { pageSize: urlParams.pageSize ?? DEFAULT_PAGE_SIZE, after: urlParams.pageToken ?? null }))
          const last = page.webhooks.at(-1)
          return {
            webhooks: page.webhooks.map(toWebhook),
            nextPageToken: page.hasMore && last !== undefined ? { createdAt: last.createdAt, webhookId: last.webhookId } : null
          }
        }))
      .handle("get", ({ path }) =>
        Effect.gen(function* () {
          const orgId = yield* authorized("get")
          return toWebhook(yield* mapErrors(webhooks.get(orgId, yield* parseWebhookId(path.webhook))))
        }))
      .handle("update", ({ path, payload }) =>
        Effect.gen(function* () {
          const orgId = yield* authorized("update")
          return toWebhook(yield* mapErrors(webhooks.update(orgId, yield* parseWebhookId(path.webhook), payload)))
        }))
      .handle("delete", ({ path }) =>
        Effect.gen(function* () {
          const orgId = yield* authorized("delete")
          yield* mapErrors(webhooks.delete(orgId, yield* parseWebhookId(path.webhook)))
        }))
      .handle("rotateSecret", ({ path }) =>
        Effect.gen(function* () {
          const orgId = yield* authorized("rotateSecret")
          return yield* mapErrors(webhooks.rotateSecret(orgId, yield* parseWebhookId(path.webhook)))
        }))
      .handle("test", ({ path }) =>
        Effect.gen(function* () {
          const orgId = yield* authorized("test")
          yield* mapErrors(webhooks.test(orgId, yield* parseWebhookId(path.webhook)))
        }))
      .handle("deliveries", ({ path, urlParams }) =>
        Effect.gen(function* () {
          const orgId = yield* authorized("deliveries")
          const page = yield* mapErrors(webhooks.deliveries(orgId, yield* parseWebhookId(path.webhook), {
            status: urlParams.status ?? null,
            pageSize: urlParams.pageSize ?? DEFAULT_PAGE_SIZE,
            afterSequence: urlParams.pageToken?.sequence ?? null
          }))
          const last = page.deliveries.at(-1)
          return {
            deliveries: page.deliveries.map(toDeliveryRepresentation),
            nextPageToken: page.hasMore && last !== undefined ? { kind: "d" as const, sequence: last.sequence } : null
          }
        }))
      .handle("replay", ({ path, payload }) =>
        Effect.gen(function* () {
          const orgId = yield* authorized("replay")
          yield* mapErrors(webhooks.replay(orgId, yield* parseWebhookId(path.webhook), BigInt(payload.fromPosition)))
        }))
  }))
