import { readApiPaths, readApiSchemas } from "../../read-api/openapi.ts";
/**
 * The OpenAPI 3.1 document served at `GET /openapi.json`: every route of API.md. This file starts with
 * the write routes and the operational ones; the read side adds its paths to `paths` below.
 */

const problem = { $ref: "#/components/responses/Problem" };
const json = (schema: unknown) => ({ content: { "application/json": { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const idempotencyKey = { $ref: "#/components/parameters/IdempotencyKey" };
const pathParam = (name: string, schema: unknown) => ({ name, in: "path", required: true, schema });
const skuIdParam = pathParam("skuId", ref("Identifier"));
const secured = [{ bearer: [] }];

const pending = {
  description: "The decision did not arrive within the wait budget; poll Location",
  headers: { Location: { schema: { type: "string" }, description: "/v1/requests/{requestId}" } },
  ...json({
    type: "object",
    required: ["requestId", "status"],
    properties: { requestId: ref("Uuid"), status: { const: "pending" } },
  }),
};

const writePaths = {
  "/v1/skus": {
    post: {
      summary: "List a SKU (admin)",
      security: secured,
      parameters: [idempotencyKey],
      requestBody: { required: true, ...json(ref("ListSkuBody")) },
      responses: {
        "201": { description: "Listed", ...json(ref("SkuRevision")) },
        "202": pending,
        "400": problem,
        "401": problem,
        "403": problem,
        "409": problem,
        "422": problem,
        "429": problem,
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
        ...json({ type: "object", required: ["quantity"], properties: { quantity: ref("Quantity") } }),
      },
      responses: {
        "200": {
          description: "Stock added",
          ...json({
            type: "object",
            properties: {
              skuId: ref("Identifier"),
              stock: { type: "integer" },
              revision: { type: "integer" },
            },
          }),
        },
        "202": pending,
        "400": problem,
        "401": problem,
        "403": problem,
        "404": problem,
        "422": problem,
        "429": problem,
      },
    },
  },
  "/v1/skus/{skuId}/close": {
    post: {
      summary: "Close the sale (admin)",
      security: secured,
      parameters: [skuIdParam, idempotencyKey],
      responses: {
        "200": {
          description: "Closed",
          ...json({
            type: "object",
            properties: {
              skuId: ref("Identifier"),
              status: { const: "closed" },
              revision: { type: "integer" },
            },
          }),
        },
        "202": pending,
        "400": problem,
        "401": problem,
        "403": problem,
        "404": problem,
        "429": problem,
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
        ...json({
          type: "object",
          required: ["quantity"],
          properties: { quantity: ref("Quantity"), allowPartial: { type: "boolean", default: false } },
        }),
      },
      responses: {
        "201": { description: "Held", ...json(ref("Reservation")) },
        "202": pending,
        "400": problem,
        "401": problem,
        "404": problem,
        "409": problem,
        "422": problem,
        "429": problem,
      },
    },
  },
  "/v1/reservations/{reservationId}": {
    delete: {
      summary: "Cancel a hold (owner)",
      security: secured,
      parameters: [pathParam("reservationId", ref("Uuid"))],
      responses: {
        "200": {
          description: "Cancelled",
          ...json({
            type: "object",
            properties: {
              reservationId: ref("Uuid"),
              status: { const: "cancelled" },
              revision: { type: "integer" },
            },
          }),
        },
        "202": pending,
        "401": problem,
        "403": problem,
        "404": problem,
        "409": problem,
        "429": problem,
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
        ...json({
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
          description: "Order placed, payment pending",
          ...json({
            type: "object",
            properties: { orderId: ref("Uuid"), status: { const: "pending_payment" } },
          }),
        },
        "400": problem,
        "401": problem,
        "403": problem,
        "404": problem,
        "409": problem,
        "422": problem,
        "429": problem,
      },
    },
  },
  "/v1/requests/{requestId}": {
    get: {
      summary: "The outcome of a request (owner): the 201/409 answer once decided, else pending",
      security: secured,
      parameters: [pathParam("requestId", ref("Uuid"))],
      responses: {
        "200": { description: "Pending, or a decided request answered 200", ...json({ type: "object" }) },
        "201": { description: "Decided: held", ...json(ref("Reservation")) },
        "401": problem,
        "403": problem,
        "404": problem,
        "409": problem,
      },
    },
  },
};

const operationalPaths = {
  "/health/live": { get: { summary: "Liveness", responses: { "200": { description: "Live" } } } },
  "/health/ready": {
    get: {
      summary: "Readiness (dependencies)",
      responses: { "200": { description: "Ready" }, "503": { description: "Not ready" } },
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
    get: { summary: "This document", responses: { "200": { description: "OpenAPI 3.1" } } },
  },
};

const components = {
  securitySchemes: {
    bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
    bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
  },
  parameters: {
    IdempotencyKey: {
      name: "Idempotency-Key",
      in: "header",
      required: true,
      schema: { type: "string", pattern: "^[\\x21-\\x7e]{1,128}$" },
    },
  },
  responses: {
    Problem: {
      description: "RFC 7807 problem",
      content: { "application/problem+json": { schema: ref("Problem") } },
    },
  },
  schemas: {
    Identifier: { type: "string", pattern: "^[A-Za-z0-9._-]{1,64}$" },
    Uuid: { type: "string", format: "uuid" },
    Quantity: { type: "integer", minimum: 1, maximum: 1_000_000 },
    Problem: {
      type: "object",
      required: ["type", "title", "status", "detail"],
      properties: {
        type: { type: "string", pattern: "^/problems/" },
        title: { type: "string" },
        status: { type: "integer" },
        detail: { type: "string" },
        instance: { type: "string" },
      },
    },
    ListSkuBody: {
      type: "object",
      required: ["skuId", "name", "description", "priceCents", "currency", "stock"],
      properties: {
        skuId: ref("Identifier"),
        name: { type: "string", minLength: 1, maxLength: 200 },
        description: { type: "string", maxLength: 4000 },
        priceCents: { type: "integer", minimum: 0 },
        currency: { type: "string", pattern: "^[A-Z]{3}$" },
        stock: { type: "integer", minimum: 0 },
        perUserLimit: { type: "integer", minimum: 1, default: 1 },
        holdSeconds: { type: "integer", minimum: 1, maximum: 86400, default: 120 },
        saleStartsAt: { type: ["string", "null"], format: "date-time" },
        saleEndsAt: { type: ["string", "null"], format: "date-time" },
        tags: { type: "array", items: { type: "string", minLength: 1, maxLength: 64 } },
      },
    },
    SkuRevision: { type: "object", properties: { skuId: ref("Identifier"), revision: { type: "integer" } } },
    Reservation: {
      type: "object",
      required: ["reservationId", "skuId", "quantity", "expiresAt", "revision"],
      properties: {
        reservationId: ref("Uuid"),
        skuId: ref("Identifier"),
        quantity: { type: "integer" },
        expiresAt: { type: "string", format: "date-time" },
        revision: { type: "integer" },
      },
    },
  },
};

/** Paths of the read routes, kept beside the read API. */
const readPaths: Record<string, unknown> = readApiPaths;

export const openApiDocument = () => ({
  openapi: "3.1.0",
  info: { title: "holdfast", version: "1", description: "Event-sourced flash-sale engine (API.md)" },
  paths: { ...writePaths, ...readPaths, ...operationalPaths },
  components: { ...components, schemas: { ...readApiSchemas, ...components.schemas } },
});
