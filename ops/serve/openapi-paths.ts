/**
 * OpenAPI 3.1 paths of the write and operational routes. `openapi.ts` merges them with the read side's
 * and adds what every route shares.
 */

export type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (description: string, schema: unknown, headers?: Json): Json => ({
  description,
  content: { "application/json": { schema } },
  ...(headers === undefined ? {} : { headers }),
});
export const problem = (description: string, headers?: Json): Json => ({
  description,
  content: { "application/problem+json": { schema: ref("Problem") } },
  ...(headers === undefined ? {} : { headers }),
});
export const header = (name: string) => ({ $ref: `#/components/headers/${name}` });
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

export const writePaths: Json = {
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

export const operationalPaths: Json = {
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
