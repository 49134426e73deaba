import * as E from "fp-ts/lib/Either.js";
import { Identifier } from "../../event-schemas/index.ts";
import { Hono, type MiddlewareHandler } from "hono";
import { streamSSE } from "hono/streaming";
import { problem, problemFor } from "../../infra/http/problem.ts";
import type { AvailabilityError, CachedAvailability } from "../availability-cache.ts";
import type { ReadApiDeps } from "../deps.ts";
import { awaitMinRevision } from "../guards.ts";

/** `If-None-Match` names `etag` (a list, weak forms and `*` included). */
export const matchesEtag = (header: string | undefined, etag: string): boolean => {
  if (header === undefined) return false;
  if (header === etag) return true;
  for (const part of header.split(",")) {
    const tag = part.trim();
    if (tag === "*" || tag === etag || tag === `W/${etag}`) return true;
  }
  return false;
};

// A CDN may keep an answer for a second (the burst of a sale is absorbed there); a request that asks for
// a minimum revision is a different representation, hence the Vary.
const CACHE_HEADERS = { "Cache-Control": "public, max-age=1", Vary: "X-Min-Revision" } as const;

/**
 * `GET /v1/products/{skuId}/availability` and its SSE stream, both served from the process's in-memory
 * copy (read-api/availability-cache.ts): a GET whose copy is fresh costs no I/O at all.
 */
export const availabilityRoutes = (deps: ReadApiDeps, limit: MiddlewareHandler) => {
  const app = new Hono();
  const cache = deps.availability;
  const viewRevision = async (skuId: string, atLeast: number) => {
    const copy = cache.peek(skuId);
    if (copy !== undefined && copy !== null && copy.availability.revision >= atLeast)
      return copy.availability.revision;
    const fresh = await cache.refresh(skuId)();
    return E.isRight(fresh) ? (fresh.right?.availability.revision ?? null) : null;
  };
  const current = (skuId: string): Promise<E.Either<AvailabilityError, CachedAvailability | null>> => {
    const copy = cache.peek(skuId);
    return copy !== undefined ? Promise.resolve(E.right(copy)) : cache.get(skuId)();
  };

  app.get("/v1/products/:skuId/availability", limit, async (c) => {
    const skuId = c.req.param("skuId");
    if (!Identifier.is(skuId)) return problem(c, "bad-request", "skuId is 1–64 of letters, digits, . _ -");
    if (c.req.header("X-Min-Revision") !== undefined) {
      const behind = await awaitMinRevision(c, deps, viewRevision);
      if (behind !== null) return behind;
    }
    const found = await current(skuId);
    if (E.isLeft(found)) return problemFor(c, found.left, "availability is unavailable; retry");
    const a = found.right;
    if (a === null) return problem(c, "unknown-sku", `no product ${skuId}`);
    if (a.revalidatable && matchesEtag(c.req.header("If-None-Match"), a.etag))
      return c.body(null, 304, { ETag: a.etag, ...CACHE_HEADERS });
    return c.body(a.body, 200, { "Content-Type": "application/json", ETag: a.etag, ...CACHE_HEADERS });
  });

  app.get("/v1/products/:skuId/availability/stream", limit, async (c) => {
    const skuId = c.req.param("skuId");
    if (!Identifier.is(skuId)) return problem(c, "bad-request", "skuId is 1–64 of letters, digits, . _ -");
    const found = await current(skuId);
    if (E.isLeft(found)) return problemFor(c, found.left, "availability is unavailable; retry");
    const first = found.right;
    if (first === null) return problem(c, "unknown-sku", `no product ${skuId}`);
    return streamSSE(c, async (stream) => {
      const queue: CachedAvailability[] = [first];
      let wake: (() => void) | null = null;
      const unwatch = cache.watch(skuId, (a) => {
        queue.push(a);
        wake?.();
      });
      let open = true;
      stream.onAbort(() => {
        open = false;
        wake?.();
      });
      let lastSent = -1;
      let lastStatus = "";
      try {
        while (open) {
          const next = queue.shift();
          if (next === undefined) {
            // Comment line every 15 s keeps proxies from closing an idle stream.
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, 15_000).unref();
            });
            wake = null;
            if (queue.length === 0 && open) await stream.write(": keep-alive\n\n");
            continue;
          }
          const a = next.availability;
          if (a.revision < lastSent || (a.revision === lastSent && a.status === lastStatus)) continue;
          lastSent = a.revision;
          lastStatus = a.status;
          await stream.writeSSE({ event: "availability", id: String(a.revision), data: next.body });
        }
      } finally {
        unwatch();
      }
    });
  });
  return app;
};
