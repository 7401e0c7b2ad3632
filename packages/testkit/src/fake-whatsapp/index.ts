/**
 * `@wa-gateway/testkit/fake-whatsapp`: a fake WhatsApp server that the real Baileys client pairs with and
 * logs in to, its simulated phone, and its control API. A subpath of its own, so the main testkit index
 * never loads Baileys.
 */
export { controlRoutes, describeDevice, startControlApi, type ControlApi } from "./control-api.js"
export type { FakeDevice } from "./device.js"
export { FakeWhatsAppError, type FakeWhatsAppErrorReason } from "./errors.js"
export type { PhoneIdentity, SimulatedPhone } from "./phone.js"
export type { ConnectionKind, ConnectionOverlap, ConnectionRecord } from "./registry.js"
export { fakeWhatsApp, startFakeWhatsApp, type FakeWhatsApp, type FakeWhatsAppOptions, type PendingPairingInfo } from "./server.js"
