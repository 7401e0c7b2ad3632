import { type Context, Deferred, Effect, Stream } from "effect"
import { type Gateway, SubscriberTooSlow } from "@wa-gateway/adapters"

type GatewayService = Context.Tag.Service<Gateway>

export interface CuttableStreams {
  /** For `startTestServer({ gateway })`: the real gateway, whose subscriptions `cut` can end. */
  readonly gateway: (real: GatewayService) => GatewayService
  /**
   * Ends every subscription open now the way the feed ends one that fell too
   * far behind (`SubscriberTooSlow`): the real `events:stream` route then says
   * so in a comment and closes the response. Later subscriptions are untouched.
   */
  readonly cut: () => void
}

export const cuttableStreams = (): CuttableStreams => {
  let current = Effect.runSync(Deferred.make<never, SubscriberTooSlow>())
  return {
    gateway: (real) => ({
      ...real,
      subscribe: (orgId, filter) =>
        Stream.unwrap(Effect.sync(() => real.subscribe(orgId, filter).pipe(Stream.interruptWhen(Deferred.await(current)))))
    }),
    cut: () => {
      const open = current
      current = Effect.runSync(Deferred.make<never, SubscriberTooSlow>())
      Effect.runSync(Deferred.fail(open, new SubscriberTooSlow({ buffered: 0 })))
    }
  }
}
