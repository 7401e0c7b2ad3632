export * from "./auth/principal.js"
export * from "./auth/authenticator.js"
