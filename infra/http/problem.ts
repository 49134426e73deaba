import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { RefusalReason } from "../../event-schemas/index.ts";

/**
 * Where a failure becomes HTTP, for the write and the read API alike: RFC 7807 problem details. The
 * problem types are API.md's; below are their status (`problemStatus`), the problem each refusal of the
 * command handler becomes (`problemOfRefusal`), and the problem each error value of a port becomes
 * (`problemOfError`). Routes answer a failure with `problemFor(c, error, detail)` (or `problem` for input
 * they refuse themselves: a malformed body, a missing token), so every tag answers the same way
 * everywhere.
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

/** The problem a refused command answers with (its `Outcome.reason`, recorded in the log). */
export const problemOfRefusal: Readonly<Record<RefusalReason, ProblemType>> = {
  "unknown-sku": "unknown-sku",
  "sku-exists": "sku-exists",
  "sold-out": "sold-out",
  "insufficient-stock": "insufficient-stock",
  "limit-exceeded": "limit-exceeded",
  "sale-not-open": "sale-not-open",
  "sale-closed": "sale-closed",
  "hold-not-active": "hold-not-active",
  "not-found": "not-found",
  forbidden: "forbidden",
  "payment-already-settled": "hold-not-active",
};

/**
 * The problem each error value a route may meet becomes, by its `_tag`: the command queue
 * (`infra/command-queue/port.ts`), the partition registry, the outcome store (`infra/redis/outcomes.ts`),
 * the order view (`projections/orders/queries.ts`), search (`projections/products/search-port.ts`), the
 * read API's availability copy (`read-api/availability-cache.ts`) and
 * the idempotency store's admission answers (`infra/redis/idempotency.ts`). A store that did not answer
 * is `unavailable` (503: retry, with the same Idempotency-Key on a write).
 */
export const problemOfError = {
  UnknownSkuPartition: "unknown-sku",
  QueueUnavailable: "unavailable",
  RegistryUnavailable: "unavailable",
  OutcomeStoreUnavailable: "unavailable",
  ViewUnavailable: "unavailable",
  SearchUnavailable: "unavailable",
  AvailabilityUnavailable: "unavailable",
  RateLimited: "rate-limited",
  Mismatch: "idempotency-mismatch",
} as const satisfies Record<string, ProblemType>;
export type HttpErrorTag = keyof typeof problemOfError;

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

/**
 * Answer an error value with its problem (`problemOfError`).
 *
 * @example if (E.isLeft(r)) return problemFor(c, r.left, "the order view is unavailable; retry");
 */
export const problemFor = (
  c: Context,
  error: { readonly _tag: HttpErrorTag },
  detail: string,
  extensions: Readonly<Record<string, unknown>> = {},
): Response => problem(c, problemOfError[error._tag], detail, extensions);

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
