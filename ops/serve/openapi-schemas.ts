import { IDENTIFIER_PATTERN } from "../../event-schemas/index.ts";
import { type ProblemType, problemStatus } from "../../infra/http/problem.ts";

/** Component schemas of the write and operational routes, and of every problem answer. */

type Json = Record<string, unknown>;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** API.md's problem types (`/problems/<name>`): the ones `infra/http/problem.ts` maps to statuses. */
export const PROBLEM_TYPES = Object.keys(problemStatus) as ReadonlyArray<ProblemType>;

export const writeSchemas: Json = {
  Identifier: { type: "string", pattern: `^${IDENTIFIER_PATTERN}$` },
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
