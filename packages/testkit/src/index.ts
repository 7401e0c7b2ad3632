export * from "./decider-spec.js"
export * from "./arbitraries.js"
export * from "./jwt-issuer.js"
export * from "./test-gateway.js"
