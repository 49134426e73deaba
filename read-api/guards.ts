import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import { problem } from "../infra/http/problem.ts";
import type { ReadApiDeps } from "./deps.ts";
import { parseMinRevision, waitForRevision } from "./min-revision.ts";

const clientIp = (c: Context): string => {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    // app.request() in tests has no socket.
    return "unknown";
  }
};

/**
 * Read rate limit: one token bucket per client IP (`ipRead`, much larger than the write buckets), one
 * Redis call per request. If the limiter itself is down, reads go on: refusing every read because the
 * limiter's Redis hiccuped would be worse than serving a few too many.
 */
export const readRateLimit =
  (deps: ReadApiDeps): MiddlewareHandler =>
  async (c, next) => {
    if (deps.limiter === null || deps.ipRead === null) return next();
    const d = await deps.limiter.check([{ key: `read:ip:${clientIp(c)}`, bucket: deps.ipRead }])();
    if (d._tag === "Right" && !d.right.allowed) {
      c.header("Retry-After", String(d.right.retryAfterSeconds));
      return problem(c, "rate-limited", "too many reads; retry later");
    }
    return next();
  };

/**
 * Honour `X-Min-Revision` against the view that will answer: returns a Response (400 or 504) to send
 * instead, or `null` to go on. `viewRevision` reads the revision that view holds for the named SKU
 * (`atLeast` is the revision asked for, so a view with a copy already that far can answer at once).
 */
export const awaitMinRevision = async (
  c: Context,
  deps: ReadApiDeps,
  viewRevision: (skuId: string, atLeast: number) => Promise<number | null>,
): Promise<Response | null> => {
  const min = parseMinRevision(c.req.header("X-Min-Revision"));
  if (min === undefined) return null;
  if (min === null) return problem(c, "bad-request", "X-Min-Revision must be <skuId>@<revision>");
  const ok = await waitForRevision(
    () => viewRevision(min.skuId, min.revision),
    min.revision,
    deps.minRevisionWaitMs ?? 2000,
  );
  return ok
    ? null
    : problem(c, "view-behind", `the view has not reached ${min.skuId}@${min.revision} yet; retry`, {
        skuId: min.skuId,
        revision: min.revision,
      });
};
