import { randomUUID } from "node:crypto";
import type { PlannedRequest } from "./workload.ts";

/** One HTTP answer the shoppers got (0 = no answer: refused connection, reset, timeout). */
export interface Attempt {
  /** ms after T0 when the answer (or the failure) came. */
  readonly atMs: number;
  readonly latencyMs: number;
  readonly status: number;
  readonly kind: "reserve" | "poll" | "checkout" | "resend";
}

/** Where one planned request ended. `status` 0: no final answer before the deadline. */
export interface FinalAnswer {
  readonly plan: PlannedRequest;
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly attempts: number;
  /** The answer to the shopper's re-send with the same key, when there was one. */
  readonly resent: { readonly status: number; readonly body: Record<string, unknown> } | null;
  readonly order: { readonly orderId: string } | null;
}

export interface ShopperDeps {
  readonly writeBase: () => string;
  readonly token: (userId: string) => Promise<string>;
  readonly skuId: string;
  readonly t0: number;
  readonly record: (a: Attempt) => void;
  /** Give up on one request after this long (ms). */
  readonly deadlineMs: number;
}

const RETRIABLE = new Set([0, 429, 500, 502, 503, 504]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const call = async (
  deps: ShopperDeps,
  kind: Attempt["kind"],
  method: string,
  path: string,
  token: string,
  body?: unknown,
  key?: string,
): Promise<{ status: number; body: Record<string, unknown>; retryAfter: number | null }> => {
  const started = Date.now();
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key !== undefined) headers["Idempotency-Key"] = key;
  let status = 0;
  let parsed: Record<string, unknown> = {};
  let retryAfter: number | null = null;
  try {
    const r = await fetch(`${deps.writeBase()}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    status = r.status;
    const ra = r.headers.get("Retry-After");
    retryAfter = ra === null ? null : Number(ra);
    parsed = (await r.json().catch(() => ({}))) as Record<string, unknown>;
  } catch {
    status = 0;
  }
  const now = Date.now();
  deps.record({ atMs: now - deps.t0, latencyMs: now - started, status, kind });
  return { status, body: parsed, retryAfter };
};

/** Send, retrying what may not have been decided (no answer, 429, 5xx) with the SAME Idempotency-Key. */
const sendToTheEnd = async (
  deps: ShopperDeps,
  kind: Attempt["kind"],
  path: string,
  token: string,
  body: unknown,
  key: string,
  deadline: number,
) => {
  let attempts = 0;
  for (;;) {
    attempts++;
    const r = await call(deps, kind, "POST", path, token, body, key);
    if (!RETRIABLE.has(r.status) || Date.now() > deadline) return { ...r, attempts };
    const backoff = Math.min(2000, 100 * 2 ** Math.min(attempts, 5)) * (0.5 + Math.random() / 2);
    await sleep(r.retryAfter !== null && r.retryAfter > 0 ? Math.min(r.retryAfter * 1000, 3000) : backoff);
  }
};

/** A 202's outcome: poll `GET /v1/requests/{id}` until it is decided. */
const pollToTheEnd = async (deps: ShopperDeps, token: string, requestId: string, deadline: number) => {
  for (;;) {
    const r = await call(deps, "poll", "GET", `/v1/requests/${requestId}`, token);
    if (r.status !== 0 && r.status < 500 && r.body.status !== "pending") return r;
    if (Date.now() > deadline) return { status: 0, body: {}, retryAfter: null };
    await sleep(250);
  }
};

/** One shopper's request, to its final answer; then the re-send and the checkout it planned. */
export const shop = async (deps: ShopperDeps, plan: PlannedRequest): Promise<FinalAnswer> => {
  const deadline = Date.now() + deps.deadlineMs;
  const token = await deps.token(plan.userId);
  const path = `/v1/skus/${deps.skuId}/reservations`;
  const body = { quantity: plan.quantity, allowPartial: plan.allowPartial };
  const first = await sendToTheEnd(deps, "reserve", path, token, body, plan.idempotencyKey, deadline);
  let final: { status: number; body: Record<string, unknown> } = first;
  if (first.status === 202) final = await pollToTheEnd(deps, token, String(first.body.requestId), deadline);
  if (RETRIABLE.has(final.status)) final = { status: 0, body: final.body };
  let resent: FinalAnswer["resent"] = null;
  if (plan.resend && final.status !== 0) {
    const again = await sendToTheEnd(deps, "resend", path, token, body, plan.idempotencyKey, deadline);
    resent =
      again.status === 202
        ? await pollToTheEnd(deps, token, String(again.body.requestId), deadline)
        : { status: again.status, body: again.body };
  }
  let order: FinalAnswer["order"] = null;
  if (plan.checkout && final.status === 201) {
    const o = await sendToTheEnd(
      deps,
      "checkout",
      "/v1/orders",
      token,
      { reservationId: final.body.reservationId, paymentToken: "tok_visa" },
      randomUUID(),
      deadline,
    );
    if (o.status === 202 && typeof o.body.orderId === "string") order = { orderId: o.body.orderId };
  }
  return { plan, status: final.status, body: final.body, attempts: first.attempts, resent, order };
};
