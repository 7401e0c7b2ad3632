import type { Capability } from "@wa-gateway/adapters"

/** `GET /events:stream` needs `read`; its QR frames also `manage` (as `GET /qr`). */
export const eventsPolicy = { stream: "read", qrFrames: "manage" } as const satisfies Record<string, Capability>
