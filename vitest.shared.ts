import { fileURLToPath } from "node:url"

const source = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url))

/** Tests run against the TypeScript sources of the sibling packages, never a stale dist/. */
export const workspaceAliases = {
  "@wa-gateway/domain": source("domain"),
  "@wa-gateway/adapters": source("adapters"),
  "@wa-gateway/http": source("http"),
  // before "@wa-gateway/testkit", which as a prefix would also match this subpath
  "@wa-gateway/testkit/fake-whatsapp": fileURLToPath(new URL("./packages/testkit/src/fake-whatsapp/index.ts", import.meta.url)),
  "@wa-gateway/testkit": source("testkit")
}
