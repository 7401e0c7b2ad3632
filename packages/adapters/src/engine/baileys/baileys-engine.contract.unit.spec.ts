import { Effect, Layer, Random } from "effect"
import { describeEngineContract, sessionId } from "../session-engine.contract.spec-helper.js"
import { appendHistory, created, newOrg } from "../../store/event-store.contract.spec-helper.js"
import { MemoryStores } from "../../store/stores.js"
import { baileysEngineLayer } from "./baileys-engine.js"
import { fakeSockets } from "./fake-sockets.spec-helper.js"

/** Memory stores in which the contract's session exists (auth state is written only for a live session). */
const storesWithTheSession = Layer.effectDiscard(Effect.suspend(() => {
  const orgId = newOrg()
  return appendHistory(sessionId, orgId, [created(sessionId, orgId)]).pipe(Effect.orDie)
})).pipe(Layer.provideMerge(MemoryStores))

describeEngineContract({
  name: "baileys on fake sockets",
  layer: () =>
    baileysEngineLayer().pipe(
      Layer.provideMerge(Layer.merge(fakeSockets(), storesWithTheSession)),
      // The backoff's jitter at its top: a reconnect comes exactly at the cap (1 s first).
      Layer.provideMerge(Layer.setRandom(Random.fixed([1])))
    ),
  // Six QR refs: the first shown 60 s, five more 20 s each, then 408.
  pairingTimeout: "160 seconds"
})
