import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * RFC 7807 problem details. The problem types are API.md's; their HTTP status is fixed here, in one
 * place, so every route answers the same type with the same status.
 */
export const problemStatus = {
  "bad-request": 400,
  unauthorized: 401,
  forbidden: 403,
  "not-found": 404,
  "unknown-sku": 404,
  "sku-exists": 409,
  "sold-out": 409,
  "insufficient-stock": 409,
  "limit-exceeded": 409,
  "sale-not-open": 409,
  "sale-closed": 409,
  "hold-not-active": 409,
  "idempotency-mismatch": 422,
  "rate-limited": 429,
  "view-behind": 504,
  unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>;
export type ProblemType = keyof typeof problemStatus;

const titles: Record<ProblemType, string> = {
  "bad-request": "Bad request",
  unauthorized: "Unauthorized",
  forbidden: "Forbidden",
  "not-found": "Not found",
  "unknown-sku": "Unknown SKU",
  "sku-exists": "SKU already exists",
  "sold-out": "Sold out",
  "insufficient-stock": "Insufficient stock",
  "limit-exceeded": "Per-shopper limit exceeded",
  "sale-not-open": "Sale not open",
  "sale-closed": "Sale closed",
  "hold-not-active": "Hold not active",
  "idempotency-mismatch": "Idempotency key reused with a different request",
  "rate-limited": "Too many requests",
  "view-behind": "View behind the requested revision",
  unavailable: "Service unavailable",
};

export interface ProblemBody {
  readonly type: `/problems/${ProblemType}`;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly [extension: string]: unknown;
}

export const problemBody = (
  type: ProblemType,
  detail: string,
  extensions: Readonly<Record<string, unknown>> = {},
): ProblemBody => ({
  ...extensions,
  type: `/problems/${type}`,
  title: titles[type],
  status: problemStatus[type],
  detail,
});

/** Answer with `application/problem+json`. */
export const problem = (
  c: Context,
  type: ProblemType,
  detail: string,
  extensions: Readonly<Record<string, unknown>> = {},
): Response => {
  const body = problemBody(type, detail, { instance: c.req.path, ...extensions });
  return c.body(JSON.stringify(body), problemStatus[type], { "Content-Type": "application/problem+json" });
};
