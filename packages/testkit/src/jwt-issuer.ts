import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, type Scope } from "effect"
import { base64url, exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose"

export type TestJwtAlgorithm = "RS256" | "ES256"

export interface TestJwtIssuerOptions {
  /** Algorithm of the first signing key (default RS256). */
  readonly alg?: TestJwtAlgorithm
  /** Default `iss` of minted tokens (default `https://issuer.test`). */
  readonly issuer?: string
  /** Default `aud` of minted tokens (default `wa-gateway`). */
  readonly audience?: string
  /** Claim names, as the gateway's AUTH_JWT_ORG_CLAIM / AUTH_JWT_ROLE_CLAIM (defaults `org_id` / `role`). */
  readonly orgClaim?: string
  readonly roleClaim?: string
}

export interface MintOptions {
  /** The org claim; omit to mint a token without one. */
  readonly org?: string
  readonly role?: string
  /** Seconds or a jose time span (`"5m"`); `null` mints a token without `exp`. Default `"5m"`. */
  readonly expiresIn?: number | string | null
  /** `null` leaves the claim out. Defaults: the issuer's `issuer` / `audience`. */
  readonly iss?: string | null
  readonly aud?: string | null
  readonly sub?: string
  /** Sign with this key (it may be unpublished); default: the current signing key. */
  readonly kid?: string
  /** Extra or overriding claims. */
  readonly claims?: Record<string, unknown>
}

export interface AddKeyOptions {
  readonly alg?: TestJwtAlgorithm
  readonly kid?: string
  /** Serve it in the JWKS right away (default true). */
  readonly publish?: boolean
}

/** Issues login JWTs like a frontend's identity provider would, with its JWKS on a local port. */
export interface TestJwtIssuer {
  /** `http://127.0.0.1:<port>/.well-known/jwks.json`: the value for AUTH_JWKS_URL. */
  readonly jwksUrl: string
  readonly issuer: string
  readonly audience: string
  /** The kid `mint` signs with unless told otherwise. */
  readonly currentKid: string
  /** How many times the JWKS was fetched (to observe caching and refetch). */
  readonly jwksFetches: number
  readonly mint: (options?: MintOptions) => Promise<string>
  /** A token with `alg: none` and no signature. */
  readonly mintUnsigned: (options?: MintOptions) => string
  /** HS256 signed with the current key's public key in PEM as the HMAC secret (the RS/HS confusion attack). */
  readonly mintWithPublicKeyAsHmacSecret: (options?: MintOptions) => Promise<string>
  /** Generates a key; returns its kid. */
  readonly addKey: (options?: AddKeyOptions) => Promise<string>
  readonly publishKey: (kid: string) => void
  readonly unpublishKey: (kid: string) => void
  /** A new published key that becomes the signing key; the old one stays published. Returns the new kid. */
  readonly rotate: (options?: Omit<AddKeyOptions, "publish">) => Promise<string>
  readonly close: () => Promise<void>
}

interface IssuerKey {
  readonly kid: string
  readonly alg: TestJwtAlgorithm
  readonly privateKey: CryptoKey
  readonly publicJwk: JWK
  readonly publicPem: string
}

const newKey = async (alg: TestJwtAlgorithm, kid: string): Promise<IssuerKey> => {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" }
  return { kid, alg, privateKey, publicJwk, publicPem: await exportSPKI(publicKey) }
}

const listen = (server: Server): Promise<AddressInfo> =>
  new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      if (address === null || typeof address === "string") reject(new Error("test JWT issuer: no TCP address"))
      else resolve(address)
    })
  })

export const startTestJwtIssuer = async (options: TestJwtIssuerOptions = {}): Promise<TestJwtIssuer> => {
  const issuer = options.issuer ?? "https://issuer.test"
  const audience = options.audience ?? "wa-gateway"
  const orgClaim = options.orgClaim ?? "org_id"
  const roleClaim = options.roleClaim ?? "role"
  const keys = new Map<string, IssuerKey>()
  const published = new Set<string>()
  let kidCounter = 0
  let fetches = 0

  const addKey = async (add: AddKeyOptions = {}): Promise<string> => {
    const kid = add.kid ?? `test-key-${++kidCounter}`
    keys.set(kid, await newKey(add.alg ?? options.alg ?? "RS256", kid))
    if (add.publish ?? true) published.add(kid)
    return kid
  }
  const keyFor = (kid: string): IssuerKey => {
    const key = keys.get(kid)
    if (key === undefined) throw new Error(`test JWT issuer has no key ${kid}`)
    return key
  }
  let currentKid = await addKey()

  const server = createServer((request, response) => {
    if (request.method === "GET" && request.url === "/.well-known/jwks.json") {
      fetches++
      const body = JSON.stringify({ keys: [...published].map((kid) => keyFor(kid).publicJwk) })
      response.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" })
      response.end(body)
      return
    }
    response.writeHead(404).end()
  })
  const address = await listen(server)

  const payloadOf = (mint: MintOptions): Record<string, unknown> => {
    const payload: Record<string, unknown> = {}
    if (mint.org !== undefined) payload[orgClaim] = mint.org
    if (mint.role !== undefined) payload[roleClaim] = mint.role
    if (mint.sub !== undefined) payload.sub = mint.sub
    return { ...payload, ...mint.claims }
  }

  const signed = (mint: MintOptions, jwt: SignJWT): SignJWT => {
    jwt.setIssuedAt()
    const iss = mint.iss === undefined ? issuer : mint.iss
    const aud = mint.aud === undefined ? audience : mint.aud
    const expiresIn = mint.expiresIn === undefined ? "5m" : mint.expiresIn
    if (iss !== null) jwt.setIssuer(iss)
    if (aud !== null) jwt.setAudience(aud)
    if (expiresIn !== null) {
      // jose reads a number as an absolute timestamp; here it means seconds from now
      jwt.setExpirationTime(typeof expiresIn === "number" ? Math.floor(Date.now() / 1000) + expiresIn : expiresIn)
    }
    return jwt
  }

  const mint = (mintOptions: MintOptions = {}): Promise<string> => {
    const key = keyFor(mintOptions.kid ?? currentKid)
    return signed(mintOptions, new SignJWT(payloadOf(mintOptions)))
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
      .sign(key.privateKey)
  }

  const mintUnsigned = (mintOptions: MintOptions = {}): string => {
    const now = Math.floor(Date.now() / 1000)
    const payload = {
      iat: now,
      exp: now + 300,
      ...(mintOptions.iss === null ? {} : { iss: mintOptions.iss ?? issuer }),
      ...(mintOptions.aud === null ? {} : { aud: mintOptions.aud ?? audience }),
      ...payloadOf(mintOptions)
    }
    const encode = (value: unknown) => base64url.encode(JSON.stringify(value))
    return `${encode({ alg: "none", typ: "JWT", kid: mintOptions.kid ?? currentKid })}.${encode(payload)}.`
  }

  const mintWithPublicKeyAsHmacSecret = (mintOptions: MintOptions = {}): Promise<string> => {
    const key = keyFor(mintOptions.kid ?? currentKid)
    return signed(mintOptions, new SignJWT(payloadOf(mintOptions)))
      .setProtectedHeader({ alg: "HS256", kid: key.kid, typ: "JWT" })
      .sign(new TextEncoder().encode(key.publicPem))
  }

  return {
    jwksUrl: `http://127.0.0.1:${address.port}/.well-known/jwks.json`,
    issuer,
    audience,
    get currentKid() {
      return currentKid
    },
    get jwksFetches() {
      return fetches
    },
    mint,
    mintUnsigned,
    mintWithPublicKeyAsHmacSecret,
    addKey,
    publishKey: (kid) => {
      keyFor(kid)
      published.add(kid)
    },
    unpublishKey: (kid) => {
      published.delete(kid)
    },
    rotate: async (rotateOptions = {}) => {
      currentKid = await addKey({ ...rotateOptions, publish: true })
      return currentKid
    },
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      })
  }
}

/** The issuer for the lifetime of a Scope (`it.scoped`, `Layer.scoped`). */
export const testJwtIssuer = (options: TestJwtIssuerOptions = {}): Effect.Effect<TestJwtIssuer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => startTestJwtIssuer(options)),
    (issuer) => Effect.promise(() => issuer.close())
  )
