export * from "./store/api-key-store.js"
export * from "./gateway/gateway.js"
