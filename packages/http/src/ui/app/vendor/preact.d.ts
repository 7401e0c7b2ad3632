// The browser loads `./vendor/*.js` from the gateway, which serves the
// package's own copy of each dependency there (ui/vendor-modules.ts); these
// declarations give TypeScript the same module's types.
export * from "preact"
