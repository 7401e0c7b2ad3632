import { ErrorCode } from "./errors.js"

// Post-processing of the generated OpenAPI document so it reads as spec/API.md.

type Json = Record<string, unknown>

const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * `/sessions/{session}([^:]+):{logout}` → `/sessions/{session}:logout`: the
 * router needs a regex parameter and an escaped colon for custom methods
 * (DESIGN §9); the document shows the path a client calls.
 */
export const readablePath = (path: string): string =>
  path.replace(/\(\[\^:\]\+\)/g, "").replace(/:\{(\w+)\}/g, ":$1")

const decodeErrorRef = "#/components/schemas/HttpApiDecodeError"

/**
 * The framework's own decode error never leaves the server: it becomes a 400
 * `validation_error` envelope. Replace its schema by the envelope's.
 */
const withoutDecodeError = (schema: unknown, envelope: Json): unknown => {
  if (!isObject(schema)) return schema
  if (schema["$ref"] === decodeErrorRef) return envelope
  const anyOf = schema["anyOf"]
  if (Array.isArray(anyOf)) {
    const rest = anyOf.filter((member) => !(isObject(member) && member["$ref"] === decodeErrorRef))
    if (rest.length === 0) return envelope
    return rest.length === 1 ? rest[0] : { ...schema, anyOf: rest }
  }
  return schema
}

const mapOperations = (paths: Json, f: (operation: Json) => Json): Json =>
  Object.fromEntries(
    Object.entries(paths).map(([path, item]) => [
      readablePath(path),
      isObject(item) ? Object.fromEntries(Object.entries(item).map(([m, op]) => [m, isObject(op) ? f(op) : op])) : item
    ])
  )

const fixBadRequest = (envelope: Json) => (operation: Json): Json => {
  const responses = operation["responses"]
  if (!isObject(responses)) return operation
  const badRequest = responses["400"]
  if (!isObject(badRequest)) return operation
  const content = badRequest["content"]
  const json = isObject(content) ? content["application/json"] : undefined
  if (!isObject(content) || !isObject(json)) return operation
  return {
    ...operation,
    responses: {
      ...responses,
      "400": {
        ...badRequest,
        description: "malformed input, or a lifecycle precondition fails",
        content: { ...content, "application/json": { ...json, schema: withoutDecodeError(json["schema"], envelope) } }
      }
    }
  }
}

/** Every body is read up to the limit; over it the answer is 413 (API.md "Errors"). */
const withPayloadTooLarge = (envelope: Json) => (operation: Json): Json => {
  const responses = operation["responses"]
  if (operation["requestBody"] === undefined || !isObject(responses) || "413" in responses) return operation
  const tooLarge = { description: "body over the limit (64 KiB)", content: { "application/json": { schema: envelope } } }
  return { ...operation, responses: { ...responses, "413": tooLarge } }
}

/**
 * `/openapi.json` and `/docs` are served beside the HttpApi (not endpoints of
 * it), but they are routes of API.md, so the document lists them too.
 */
const documentationPaths: Json = {
  "/openapi.json": {
    get: {
      tags: ["docs"],
      operationId: "docs.openapi",
      summary: "This OpenAPI document",
      security: [],
      responses: { "200": { description: "OpenAPI 3.1 document", content: { "application/json": { schema: { type: "object" } } } } }
    }
  },
  "/docs": {
    get: {
      tags: ["docs"],
      operationId: "docs.reference",
      summary: "Interactive API reference",
      security: [],
      responses: { "200": { description: "HTML page", content: { "text/html": { schema: { type: "string" } } } } }
    }
  }
}

/**
 * Effect writes `Schema.Unknown` as `{ $id: "/schemas/unknown", title: "unknown" }`
 * at every use; the repeated `$id` makes JSON Schema validators (ajv) refuse the
 * document. Any value is the empty schema `{}`.
 */
const withoutSchemaIds = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(withoutSchemaIds)
  if (!isObject(node)) return node
  const id = node["$id"]
  if (typeof id === "string" && id.startsWith("/schemas/")) {
    const { $id: _id, title: _title, ...rest } = node
    return withoutSchemaIds(rest)
  }
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, withoutSchemaIds(value)]))
}

export const readableOpenApi = (spec: Record<string, unknown>): Record<string, unknown> => {
  const components = isObject(spec["components"]) ? spec["components"] : {}
  const schemas = isObject(components["schemas"]) ? components["schemas"] : {}
  const { HttpApiDecodeError: _decodeError, Issue: _issue, ...kept } = schemas
  const envelope: Json = { $ref: "#/components/schemas/ErrorResponse" }
  const fixBody = fixBadRequest(envelope)
  const addTooLarge = withPayloadTooLarge(envelope)
  const readable = {
    ...spec,
    paths: {
      ...mapOperations(isObject(spec["paths"]) ? spec["paths"] : {}, (operation) => addTooLarge(fixBody(operation))),
      ...documentationPaths
    },
    components: { ...components, schemas: { ...kept, ErrorResponse: errorResponseJsonSchema } }
  }
  const cleaned = withoutSchemaIds(readable)
  return isObject(cleaned) ? cleaned : readable
}

const errorResponseJsonSchema: Json = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message", "details"],
      properties: {
        code: {
          type: "string",
          enum: ErrorCode.literals
        },
        message: { type: "string" },
        details: { type: "object" }
      },
      additionalProperties: false
    }
  },
  additionalProperties: false
}

/** For an endpoint whose body may be left out (read as `{}`): the generator always marks it required. */
export const optionalRequestBody = (operation: Record<string, unknown>): Record<string, unknown> => {
  const body = operation["requestBody"]
  return isObject(body) ? { ...operation, requestBody: { ...body, required: false } } : operation
}

/** For an endpoint that also answers `image/png` (the QR): the generator only lists its JSON body. */
export const withPngResponse = (operation: Record<string, unknown>): Record<string, unknown> => {
  const responses = operation["responses"]
  const ok = isObject(responses) ? responses["200"] : undefined
  const content = isObject(ok) ? ok["content"] : undefined
  if (!isObject(responses) || !isObject(ok) || !isObject(content)) return operation
  const png = { schema: { type: "string", format: "binary" } }
  return { ...operation, responses: { ...responses, "200": { ...ok, content: { ...content, "image/png": png } } } }
}
