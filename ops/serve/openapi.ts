import { readApiPaths, readApiSchemas } from "../../read-api/openapi.ts";

/**
 * The OpenAPI 3.1 document served at `GET /openapi.json`: every route of API.md. The write and
 * operational routes are described here, the read routes beside the read API (`read-api/openapi.ts`);
 * `openApiDocument` merges them path by path and operation by operation (a route both sides describe,
 * or a schema name both define differently, is a bug and throws), then applies what API.md says of
 * every route or every write route in one place (`decorate`): the `traceparent` header in and out,
 * `WWW-Authenticate` on 401, `Retry-After` on 429 and 503, and 503 `unavailable` on every write route.
 */

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (description: string, schema: unknown, headers?: Json): Json => ({
  description,
  content: { "application/json": { schema } },
  ...(headers === undefined ? {} : { headers }),
});
const problem = (description: string, headers?: Json): Json => ({
  description,
  content: { "application/problem+json": { schema: ref("Problem") } },
  ...(headers === undefined ? {} : { headers }),
});
const header = (name: string) => ({ $ref: `#/components/headers/${name}` });
const idempotencyKey = { $ref: "#/components/parameters/IdempotencyKey" };
const pathParam = (name: string, schema: unknown) => ({ name, in: "path", required: true, schema });
const skuIdParam = pathParam("skuId", ref("Identifier"));
const secured = [{ bearer: [] }];

const pending = json("The decision did not arrive within the wait budget; poll Location", ref("Pending"), {
  Location: { required: true, schema: { type: "string" }, description: "/v1/requests/{requestId}" },
});

/** The 4xx every write route may answer. */
const writeErrors = (extra: Json = {}): Json => ({
  "400": problem("bad-request: the body, a parameter or the Idempotency-Key is wrong (named in detail)"),
  "401": problem("unauthorized: no valid bearer token"),
  "422": problem("idempotency-mismatch: this Idempotency-Key was used with a different request"),
  ...extra,
});

const writePaths: Json = {
  "/v1/skus": {
    post: {
      summary: "List a SKU (admin)",
      security: secured,
      parameters: [idempotencyKey],
      requestBody: { required: true, ...json("The listing", ref("ListSkuBody")) },
      responses: {
        "201": json("Listed", ref("SkuRevision")),
        "202": pending,
        ...writeErrors({ "403": problem("forbidden: not an admin token"), "409": problem("sku-exists") }),
      },
    },
  },
  "/v1/skus/{skuId}/stock": {
    post: {
      summary: "Add stock (admin)",
      security: secured,
      parameters: [skuIdParam, idempotencyKey],
      requestBody: {
        required: true,
        ...json("Units to add", {
          type: "object",
          required: ["quantity"],
          properties: { quantity: ref("Quantity") },
        }),
      },
      responses: {
        "200": json("Stock added", ref("StockAdded")),
        "202": pending,
        ...writeErrors({ "403": problem("forbidden: not an admin token"), "404": problem("unknown-sku") }),
      },
    },
  },
  "/v1/skus/{skuId}/close": {
    post: {
      summary: "Close the sale (admin)",
      description: "Takes no body: send none, or `{}`. Closing a closed sale answers the same 200 again.",
      security: secured,
      parameters: [skuIdParam, idempotencyKey],
      requestBody: {
        required: false,
        ...json("Nothing, or the empty object", { type: "object", maxProperties: 0 }),
      },
      responses: {
        "200": json("Closed", ref("SaleClosed")),
        "202": pending,
        ...writeErrors({ "403": problem("forbidden: not an admin token"), "404": problem("unknown-sku") }),
      },
    },
  },
  "/v1/skus/{skuId}/reservations": {
    post: {
      summary: "Reserve units (hold them for the SKU's hold time)",
      security: secured,
      parameters: [skuIdParam, idempotencyKey],
      requestBody: {
        required: true,
        ...json("How many units", {
          type: "object",
          required: ["quantity"],
          properties: { quantity: ref("Quantity"), allowPartial: { type: "boolean", default: false } },
        }),
      },
      responses: {
        "201": json("Held", ref("ReservationHeld")),
        "202": pending,
        ...writeErrors({
          "404": problem("unknown-sku"),
          "409": problem(
            "sold-out, insufficient-stock, limit-exceeded, sale-not-open or sale-closed. A sold-out answered at the edge (nothing available in the view) carries the view's `revision` it relied on, and Retry-After while holds may still be released.",
            {
              "Retry-After": {
                ...header("RetryAfter"),
                description: "on an edge sold-out while holds exist",
              },
            },
          ),
        }),
      },
    },
  },
  "/v1/reservations/{reservationId}": {
    delete: {
      summary: "Cancel a hold (owner)",
      description: "Takes no body: send none, or `{}`.",
      security: secured,
      parameters: [pathParam("reservationId", ref("Uuid"))],
      responses: {
        "200": json("Cancelled", ref("ReservationCancelled")),
        "202": pending,
        "400": problem("bad-request: a body other than none or {}"),
        "401": problem("unauthorized: no valid bearer token"),
        "403": problem("forbidden: another shopper's hold"),
        "404": problem("not-found"),
        "409": problem("hold-not-active"),
      },
    },
  },
  "/v1/orders": {
    post: {
      summary: "Check out a hold (owner): the order waits for payment",
      security: secured,
      parameters: [idempotencyKey],
      requestBody: {
        required: true,
        ...json("The hold and the payment token", {
          type: "object",
          required: ["reservationId", "paymentToken"],
          properties: {
            reservationId: ref("Uuid"),
            paymentToken: { type: "string", minLength: 1, maxLength: 512 },
          },
        }),
      },
      responses: {
        "202": {
          ...json("Order placed, payment pending; or the decision is late (poll Location)", {
            anyOf: [ref("OrderPlaced"), { allOf: [ref("Pending"), { required: ["orderId"] }] }],
          }),
          headers: { Location: { schema: { type: "string" }, description: "when pending" } },
        },
        ...writeErrors({
          "403": problem("forbidden: another shopper's hold"),
          "404": problem("not-found: no such reservation"),
          "409": problem("hold-not-active"),
        }),
      },
    },
  },
  "/v1/requests/{requestId}": {
    get: {
      summary: "The outcome of a request (owner): the 201/409 answer once decided, else pending",
      description: "Another shopper's request answers 404, exactly like one that does not exist.",
      security: secured,
      parameters: [pathParam("requestId", ref("Uuid"))],
      responses: {
        "200": json("Pending, or a decided request that answered 200", {
          anyOf: [ref("Pending"), ref("StockAdded"), ref("SaleClosed"), ref("ReservationCancelled")],
        }),
        "201": json("Decided: held (or listed)", { anyOf: [ref("ReservationHeld"), ref("SkuRevision")] }),
        "202": json("Decided: order placed", ref("OrderPlaced")),
        "401": problem("unauthorized: no valid bearer token"),
        "404": problem("not-found"),
        "409": problem("Decided: refused (the problem the request answered)"),
      },
    },
  },
};

const operationalPaths: Json = {
  "/health/live": {
    get: {
      summary: "Liveness",
      responses: {
        "200": json("Live", {
          type: "object",
          required: ["status"],
          properties: { status: { const: "live" } },
        }),
      },
    },
  },
  "/health/ready": {
    get: {
      summary: "Readiness: dependencies up, projections caught up",
      responses: {
        "200": json("Ready", ref("Readiness")),
        "503": json("Not ready (the failing checks are named)", ref("Readiness")),
      },
    },
  },
  "/metrics": {
    get: {
      summary: "Prometheus metrics",
      responses: {
        "200": { description: "Metrics", content: { "text/plain": { schema: { type: "string" } } } },
      },
    },
  },
  "/openapi.json": {
    get: {
      summary: "This document",
      responses: { "200": json("OpenAPI 3.1", { type: "object", required: ["openapi", "paths"] }) },
    },
  },
};

/** API.md's problem types, `/problems/<name>`. */
export const PROBLEM_TYPES = [
  "bad-request",
  "unauthorized",
  "forbidden",
  "not-found",
  "unknown-sku",
  "sku-exists",
  "sold-out",
  "insufficient-stock",
  "limit-exceeded",
  "sale-not-open",
  "sale-closed",
  "hold-not-active",
  "idempotency-mismatch",
  "rate-limited",
  "view-behind",
  "unavailable",
] as const;

const schemas: Json = {
  Identifier: { type: "string", pattern: "^[A-Za-z0-9._-]{1,64}$" },
  Uuid: { type: "string", format: "uuid" },
  Quantity: { type: "integer", minimum: 1, maximum: 1_000_000 },
  Revision: { type: "integer", minimum: 0 },
  Problem: {
    type: "object",
    description: "RFC 7807 problem details",
    required: ["type", "title", "status", "detail"],
    properties: {
      type: { type: "string", enum: PROBLEM_TYPES.map((t) => `/problems/${t}`) },
      title: { type: "string" },
      status: { type: "integer", minimum: 400, maximum: 599 },
      detail: { type: "string" },
      instance: { type: "string" },
      requestId: { ...ref("Uuid"), description: "the request a decided refusal answered" },
      revision: {
        type: ["integer", "null"],
        minimum: 0,
        description: "the stream (or view) revision the answer relied on",
      },
    },
  },
  ListSkuBody: {
    type: "object",
    required: ["skuId", "name", "description", "priceCents", "currency", "stock"],
    properties: {
      skuId: ref("Identifier"),
      name: { type: "string", minLength: 1, maxLength: 200, description: "no control characters" },
      description: {
        type: "string",
        maxLength: 4000,
        description: "no control characters except line breaks and tabs",
      },
      priceCents: { type: "integer", minimum: 0, maximum: 100_000_000_000 },
      currency: { type: "string", pattern: "^[A-Z]{3}$" },
      stock: { type: "integer", minimum: 0 },
      perUserLimit: { type: "integer", minimum: 1, maximum: 1_000_000, default: 1 },
      holdSeconds: { type: "integer", minimum: 1, maximum: 86400, default: 120 },
      saleStartsAt: { type: ["string", "null"], format: "date-time" },
      saleEndsAt: {
        type: ["string", "null"],
        format: "date-time",
        description: "later than saleStartsAt when both are given",
      },
      tags: {
        type: "array",
        items: { type: "string", minLength: 1, maxLength: 64, description: "no control characters" },
      },
    },
  },
  SkuRevision: {
    type: "object",
    required: ["skuId", "revision"],
    properties: { skuId: ref("Identifier"), revision: ref("Revision") },
  },
  StockAdded: {
    type: "object",
    required: ["skuId", "stock", "revision"],
    properties: {
      skuId: ref("Identifier"),
      stock: { type: "integer", minimum: 0 },
      revision: ref("Revision"),
    },
  },
  SaleClosed: {
    type: "object",
    required: ["skuId", "status", "revision"],
    properties: { skuId: ref("Identifier"), status: { const: "closed" }, revision: ref("Revision") },
  },
  ReservationHeld: {
    type: "object",
    required: ["reservationId", "skuId", "quantity", "expiresAt", "revision"],
    properties: {
      reservationId: ref("Uuid"),
      skuId: ref("Identifier"),
      quantity: ref("Quantity"),
      expiresAt: { type: "string", format: "date-time" },
      revision: ref("Revision"),
    },
  },
  ReservationCancelled: {
    type: "object",
    required: ["reservationId", "status", "revision"],
    properties: { reservationId: ref("Uuid"), status: { const: "cancelled" }, revision: ref("Revision") },
  },
  OrderPlaced: {
    type: "object",
    required: ["orderId", "status"],
    properties: { orderId: ref("Uuid"), status: { const: "pending_payment" } },
  },
  Pending: {
    type: "object",
    required: ["requestId", "status"],
    properties: { requestId: ref("Uuid"), status: { const: "pending" }, orderId: ref("Uuid") },
  },
  Readiness: {
    type: "object",
    required: ["status", "checks"],
    properties: {
      status: { enum: ["ready", "not-ready"] },
      checks: {
        type: "array",
        items: {
          type: "object",
          required: ["name", "ok"],
          properties: { name: { type: "string" }, ok: { type: "boolean" }, reason: { type: "string" } },
        },
      },
    },
  },
};

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
  components: { ...components, schemas: mergeSchemas(schemas, readApiSchemas as unknown as Json) },
});
