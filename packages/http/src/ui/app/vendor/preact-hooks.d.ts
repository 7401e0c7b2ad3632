// Served as /ui/app/vendor/preact-hooks.js (see ./preact.d.ts).
export * from "preact/hooks"
