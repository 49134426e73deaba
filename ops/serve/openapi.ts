import { readApiPaths, readApiSchemas } from "../../read-api/openapi.ts";
import { header, type Json, operationalPaths, problem, writePaths } from "./openapi-paths.ts";
import { writeSchemas } from "./openapi-schemas.ts";

/**
 * The OpenAPI 3.1 document served at `GET /openapi.json`: every route of API.md. The write and
 * operational routes are described here, the read routes beside the read API (`read-api/openapi.ts`);
 * `openApiDocument` merges them path by path and operation by operation (a route both sides describe,
 * or a schema name both define differently, is a bug and throws), then applies what API.md says of
 * every route or every write route in one place (`decorate`): the `traceparent` header in and out,
 * `WWW-Authenticate` on 401, `Retry-After` on 429 and 503, and 503 `unavailable` on every write route.
 */

const components = {
  securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
  parameters: {
    IdempotencyKey: {
      name: "Idempotency-Key",
      in: "header",
      required: true,
      description: "The same key with the same body returns the first response again; another body is a 422.",
      schema: { type: "string", pattern: "^[\\x21-\\x7e]{1,128}$" },
    },
    Traceparent: {
      name: "traceparent",
      in: "header",
      required: false,
      description: "W3C trace context; one is made when absent. The trace follows the command to its events.",
      schema: { type: "string", pattern: "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$" },
    },
  },
  headers: {
    Traceparent: {
      description: "The request's W3C trace context (the one sent, or the one made for it)",
      required: true,
      schema: { type: "string", pattern: "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$" },
    },
    RetryAfter: { description: "Seconds to wait before retrying", schema: { type: "integer", minimum: 0 } },
    RetryAfterRequired: {
      description: "Seconds to wait before retrying",
      required: true,
      schema: { type: "integer", minimum: 0 },
    },
    WwwAuthenticate: {
      description: 'RFC 6750 challenge: `Bearer`, with `error="invalid_token"` when a token was sent',
      required: true,
      schema: { type: "string", pattern: "^Bearer" },
    },
  },
};

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"] as const;

/** Merge path objects operation by operation; the same operation described twice is a bug. */
export const mergePaths = (...sides: ReadonlyArray<Json>): Json => {
  const out: Record<string, Json> = {};
  for (const side of sides)
    for (const [path, item] of Object.entries(side)) {
      const into = out[path] ?? {};
      out[path] = into;
      for (const [method, op] of Object.entries(item as Json)) {
        if (into[method] !== undefined)
          throw new Error(`OpenAPI: ${method.toUpperCase()} ${path} is described twice`);
        into[method] = op;
      }
    }
  return out;
};

/** Merge schema maps; a name defined differently by two sides is a bug (one would silently win). */
export const mergeSchemas = (...sides: ReadonlyArray<Json>): Json => {
  const out: Json = {};
  for (const side of sides)
    for (const [name, schema] of Object.entries(side)) {
      if (out[name] !== undefined && JSON.stringify(out[name]) !== JSON.stringify(schema))
        throw new Error(`OpenAPI: schema ${name} is defined twice, differently`);
      out[name] = schema;
    }
  return out;
};

const withHeaders = (response: Json, headers: Json): Json => ({
  ...response,
  headers: { ...headers, ...((response.headers as Json | undefined) ?? {}) },
});

/** What API.md says of every route (traceparent, 401, 429) and of every write route (503). */
const decorate = (paths: Json): Json => {
  const out: Json = {};
  for (const [path, item] of Object.entries(paths)) {
    const ops: Json = {};
    for (const [method, raw] of Object.entries(item as Json)) {
      if (!(METHODS as ReadonlyArray<string>).includes(method)) {
        ops[method] = raw;
        continue;
      }
      const op = raw as Json;
      const write = method === "post" || method === "delete";
      const responses: Json = { ...(op.responses as Json) };
      if (write) responses["429"] ??= problem("rate-limited");
      // Any API route may find a store unreachable; a write route says so within its wait budget.
      if (path.startsWith("/v1/"))
        responses["503"] ??= problem(
          write
            ? "unavailable: holdfast cannot decide in time (overload, or Kafka, PostgreSQL or Redis unreachable)"
            : "unavailable: a store behind this route did not answer",
        );
      for (const [status, r] of Object.entries(responses)) {
        let response = withHeaders(r as Json, { traceparent: header("Traceparent") });
        if (status === "401")
          response = withHeaders(response, { "WWW-Authenticate": header("WwwAuthenticate") });
        if (status === "429" || (status === "503" && write))
          response = withHeaders(response, { "Retry-After": header("RetryAfterRequired") });
        responses[status] = response;
      }
      const parameters = [
        ...((op.parameters as unknown[] | undefined) ?? []),
        { $ref: "#/components/parameters/Traceparent" },
      ];
      ops[method] = { ...op, parameters, responses };
    }
    out[path] = ops;
  }
  return out;
};

export const openApiDocument = () => ({
  openapi: "3.1.0",
  info: { title: "holdfast", version: "1", description: "Event-sourced flash-sale engine (API.md)" },
  paths: decorate(mergePaths(writePaths, readApiPaths as unknown as Json, operationalPaths)),
  components: { ...components, schemas: mergeSchemas(writeSchemas, readApiSchemas as unknown as Json) },
});
