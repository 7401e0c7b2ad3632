import { Context } from "effect"

/** The id of the request being served (`x-request-id`), set by the request log middleware; empty outside a request. */
export class RequestId extends Context.Reference<RequestId>()("wa-gateway/RequestId", { defaultValue: () => "" }) {}
