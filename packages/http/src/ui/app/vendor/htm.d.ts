// Served as /ui/app/vendor/htm.js (see ./preact.d.ts).
export { default } from "htm"
