import * as E from "fp-ts/lib/Either.js";
import type { Context } from "hono";
import { problem } from "../infra/http/problem.ts";
import type { EdgeAvailability, EdgeView } from "../infra/redis/edge-availability.ts";

/** Retry-After when units are held but no hold can lapse on its own (orders pending payment). */
const PAYMENT_RETRY_S = 5;

/**
 * Whether a reservation can be refused at the edge from these figures at `nowMs`: the sale is inside its
 * open window, nothing is available, and no hold has lapsed yet (a lapsed hold is freed by the next
 * decision, so a request must reach the queue to have its fair chance at it). From the projection's
 * figures, which do not know hold deadlines, only when nothing is held either.
 */
export const refusableAsSoldOut = (v: EdgeView, nowMs: number): boolean => {
  if (v.closed || v.available > 0) return false;
  if (v.saleStartsAt !== null && nowMs < Date.parse(v.saleStartsAt)) return false;
  if (v.saleEndsAt !== null && nowMs >= Date.parse(v.saleEndsAt)) return false;
  if (v.source === "view") return v.held === 0;
  return v.nextReleaseAt === null || Date.parse(v.nextReleaseAt) > nowMs;
};

/** Seconds until a held unit may come back: the next hold deadline, or a short wait for payments. */
export const retryAfterSeconds = (v: EdgeView, nowMs: number): number | null => {
  if (v.held === 0) return null;
  if (v.nextReleaseAt === null) return PAYMENT_RETRY_S;
  return Math.max(1, Math.ceil((Date.parse(v.nextReleaseAt) - nowMs) / 1000));
};

/**
 * The edge's sold-out refusal (API.md: a `sold-out` refused at the edge names the view's revision it
 * relied on and carries `Retry-After` while holds may still be released), or `null` to let the request
 * reach the queue. The process's last figures only say whether to look: a refusal is always decided on
 * a read that started after the request arrived (`fresh`), so it is never older than any answer the
 * write side already gave, such as a restock's 200. Any doubt (no figures, Redis down) lets the request
 * through: the handler decides it exactly, in FIFO order. When the last figures already say "not sold
 * out" (the common case) the answer is a plain `null`, with no promise.
 */
export const edgeSoldOut = (
  c: Context,
  availability: EdgeAvailability,
  skuId: string,
  nowMs: () => number,
): Promise<Response | null> | null => {
  const hint = availability.hint(skuId);
  if (hint === null || !refusableAsSoldOut(hint, nowMs())) return null;
  return freshRefusal(c, availability, skuId, nowMs);
};

const freshRefusal = async (
  c: Context,
  availability: EdgeAvailability,
  skuId: string,
  nowMs: () => number,
): Promise<Response | null> => {
  const fresh = await availability.fresh(skuId);
  if (E.isLeft(fresh) || fresh.right === null) return null;
  const v = fresh.right;
  const now = nowMs();
  if (!refusableAsSoldOut(v, now)) return null;
  const retry = retryAfterSeconds(v, now);
  if (retry !== null) c.header("Retry-After", String(retry));
  return problem(
    c,
    "sold-out",
    v.held === 0 ? "no units are left and none are held" : "no units are left; held units may be released",
    { skuId, revision: v.revision },
  );
};
