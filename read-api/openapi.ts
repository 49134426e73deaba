import { IDENTIFIER_PATTERN } from "../event-schemas/index.ts";
/**
 * OpenAPI 3.1 `paths` (and the component schemas they use) of the read routes, merged by
 * `ops/serve/openapi.ts` into the document served at `GET /openapi.json` (which also adds what every
 * route shares: traceparent, WWW-Authenticate on 401). Problem responses refer to
 * `#/components/schemas/Problem` and the bearer scheme to `bearer`, which the merged document defines.
 */
const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
});
const json = (description: string, schema: object, headers?: object) => ({
  description,
  content: { "application/json": { schema } },
  ...(headers === undefined ? {} : { headers }),
});
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const minRevision = {
  name: "X-Min-Revision",
  in: "header",
  required: false,
  description:
    "Read-your-writes: `<skuId>@<revision>`. The answer waits (bounded, 2 s by default) until the view serving it has applied that revision of the SKU's stream, else 504 view-behind.",
  schema: { type: "string", pattern: `^${IDENTIFIER_PATTERN}@[0-9]{1,15}$` },
};
const skuIdParam = { name: "skuId", in: "path", required: true, schema: ref("SkuId") };
const bearer = [{ bearer: [] }];
const common = {
  "400": problem("bad-request: malformed parameter or X-Min-Revision"),
  "429": { ...problem("rate-limited"), headers: { "Retry-After": { schema: { type: "integer" } } } },
  "503": problem("unavailable: a read model's store did not answer"),
  "504": problem("view-behind: the view did not reach X-Min-Revision in time"),
};

export const readApiSchemas = {
  SkuId: { type: "string", pattern: `^${IDENTIFIER_PATTERN}$` },
  Availability: {
    type: "object",
    required: ["skuId", "total", "available", "held", "sold", "status", "revision"],
    properties: {
      skuId: ref("SkuId"),
      total: { type: "integer", minimum: 0 },
      available: { type: "integer", minimum: 0 },
      held: {
        type: "integer",
        minimum: 0,
        description: "units in live holds and in orders awaiting payment",
      },
      sold: { type: "integer", minimum: 0 },
      status: { type: "string", enum: ["scheduled", "open", "sold_out", "closed"] },
      revision: {
        type: "integer",
        minimum: 0,
        description: "revision of the SKU's stream the view reflects",
      },
    },
  },
  Product: {
    type: "object",
    required: ["skuId", "name", "description", "priceCents", "currency", "tags", "availability"],
    properties: {
      skuId: ref("SkuId"),
      name: { type: "string" },
      description: { type: "string" },
      priceCents: { type: "integer", minimum: 0 },
      currency: { type: "string", pattern: "^[A-Z]{3}$" },
      tags: { type: "array", items: { type: "string" } },
      availability: { oneOf: [ref("Availability"), { type: "null" }] },
    },
  },
  Reservation: {
    type: "object",
    required: ["reservationId", "skuId", "userId", "quantity", "status", "expiresAt"],
    properties: {
      reservationId: { type: "string", format: "uuid" },
      skuId: ref("SkuId"),
      userId: { type: "string" },
      quantity: { type: "integer", minimum: 1 },
      status: { type: "string", enum: ["held", "cancelled", "expired", "ordered", "sold", "released"] },
      expiresAt: { type: "string", format: "date-time" },
    },
  },
  Order: {
    type: "object",
    required: [
      "orderId",
      "reservationId",
      "skuId",
      "quantity",
      "amountCents",
      "currency",
      "status",
      "createdAt",
      "updatedAt",
    ],
    properties: {
      orderId: { type: "string", format: "uuid" },
      reservationId: { type: "string", format: "uuid" },
      skuId: ref("SkuId"),
      quantity: { type: "integer", minimum: 1 },
      amountCents: { type: "integer", minimum: 0 },
      currency: { type: "string", pattern: "^[A-Z]{3}$" },
      status: {
        type: "string",
        enum: ["pending_payment", "confirmed", "payment_failed", "payment_unresolved"],
      },
      createdAt: { type: "string", format: "date-time" },
      updatedAt: { type: "string", format: "date-time" },
    },
  },
} as const;

export const readApiPaths = {
  "/v1/products": {
    get: {
      summary: "Search products",
      description:
        "Words in name and description (all must match; small typos forgiven), with filters. Availability per item comes from the live view.",
      parameters: [
        { name: "q", in: "query", schema: { type: "string", maxLength: 200 } },
        { name: "inStock", in: "query", schema: { type: "string", enum: ["true", "false"] } },
        { name: "minPriceCents", in: "query", schema: { type: "integer", minimum: 0 } },
        { name: "maxPriceCents", in: "query", schema: { type: "integer", minimum: 0 } },
        { name: "tag", in: "query", schema: { type: "string" } },
        { name: "page", in: "query", schema: { type: "integer", minimum: 1, maximum: 10000, default: 1 } },
        { name: "size", in: "query", schema: { type: "integer", minimum: 1, maximum: 100, default: 20 } },
        minRevision,
      ],
      responses: {
        "200": json("A page of products", {
          type: "object",
          required: ["items", "total", "page", "size"],
          properties: {
            items: { type: "array", items: ref("Product") },
            total: { type: "integer" },
            totalRelation: {
              type: "string",
              enum: ["eq", "gte"],
              description: "eq: total is the exact count; gte: at least total match (counted up to 1,000)",
            },
            page: { type: "integer" },
            size: { type: "integer" },
          },
        }),
        ...common,
      },
    },
  },
  "/v1/products/{skuId}": {
    get: {
      summary: "A product with its availability",
      parameters: [skuIdParam, minRevision],
      responses: { "200": json("The product", ref("Product")), "404": problem("unknown-sku"), ...common },
    },
  },
  "/v1/products/{skuId}/availability": {
    get: {
      summary: "Availability of a SKU",
      description:
        "`ETag` is the revision (quoted). `If-None-Match` with it answers 304, except while the sale is scheduled (it opens with the clock, not with an event).",
      parameters: [
        skuIdParam,
        minRevision,
        { name: "If-None-Match", in: "header", schema: { type: "string" } },
      ],
      responses: {
        "200": json("Availability", ref("Availability"), {
          ETag: { schema: { type: "string" }, description: "the revision, quoted" },
        }),
        "304": { description: "unchanged since the ETag sent" },
        "404": problem("unknown-sku"),
        ...common,
      },
    },
  },
  "/v1/products/{skuId}/availability/stream": {
    get: {
      summary: "Live availability (server-sent events)",
      description:
        "`text/event-stream`: an `availability` event with the current object at once, then one at each change (events carry `id` = revision). A comment line every 15 s keeps idle connections open.",
      parameters: [skuIdParam],
      responses: {
        "200": {
          description: "The stream",
          content: { "text/event-stream": { schema: { type: "string" } } },
        },
        "404": problem("unknown-sku"),
        ...common,
      },
    },
  },
  "/v1/reservations/{reservationId}": {
    get: {
      summary: "A reservation (owner only)",
      description: "Another shopper's reservation answers 404, exactly like one that does not exist.",
      security: bearer,
      parameters: [
        { name: "reservationId", in: "path", required: true, schema: { type: "string", format: "uuid" } },
        minRevision,
      ],
      responses: {
        "200": json("The reservation", ref("Reservation")),
        "401": problem("unauthorized"),
        "404": problem("not-found"),
        ...common,
      },
    },
  },
  "/v1/orders/{orderId}": {
    get: {
      summary: "An order (owner only)",
      description: "Another shopper's order answers 404, exactly like one that does not exist.",
      security: bearer,
      parameters: [
        { name: "orderId", in: "path", required: true, schema: { type: "string", format: "uuid" } },
        minRevision,
      ],
      responses: {
        "200": json("The order", ref("Order")),
        "401": problem("unauthorized"),
        "404": problem("not-found"),
        ...common,
      },
    },
  },
  "/v1/me/orders": {
    get: {
      summary: "The shopper's orders, newest first (at most 100)",
      security: bearer,
      parameters: [minRevision],
      responses: {
        "200": json("The orders", {
          type: "object",
          required: ["items"],
          properties: { items: { type: "array", items: ref("Order") } },
        }),
        "401": problem("unauthorized"),
        ...common,
      },
    },
  },
} as const;
