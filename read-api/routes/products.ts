import { Hono, type MiddlewareHandler } from "hono";
import * as t from "io-ts";
import * as E from "fp-ts/lib/Either.js";
import { decodeErrorPath, Identifier } from "../../event-schemas/index.ts";
import { problem, problemFor } from "../../infra/http/problem.ts";
import { readAvailability, readProduct } from "../../infra/redis/availability.ts";
import { MAX_RESULT_WINDOW, type ProductHit } from "../../projections/products/search-port.ts";
import type { CachedAvailability } from "../availability-cache.ts";
import type { ReadApiDeps } from "../deps.ts";
import { awaitMinRevision } from "../guards.ts";

const IntString = (min: number, max: number) =>
  new t.Type<number, string, unknown>(
    "IntString",
    (u): u is number => typeof u === "number",
    (u, c) => {
      if (typeof u !== "string" || !/^\d{1,12}$/.test(u)) return t.failure(u, c, "an integer");
      const n = Number(u);
      return n >= min && n <= max ? t.success(n) : t.failure(u, c, `between ${min} and ${max}`);
    },
    String,
  );

const SearchParams = t.partial({
  q: t.string,
  inStock: t.keyof({ true: null, false: null }),
  minPriceCents: IntString(0, 100_000_000_000),
  maxPriceCents: IntString(0, 100_000_000_000),
  tag: t.string,
  page: IntString(1, 10_000),
  size: IntString(1, 100),
});

const SEARCH_ITEM_STALE_MS = 5_000;

// Cached search results hand out the same hit objects again and again: their JSON is made once.
const prefixes = new WeakMap<ProductHit, string>();
const itemPrefix = (h: ProductHit): string => {
  let p = prefixes.get(h);
  if (p === undefined) {
    const fields = JSON.stringify({
      skuId: h.skuId,
      name: h.name,
      description: h.description,
      priceCents: h.priceCents,
      currency: h.currency,
      tags: h.tags,
    });
    p = `${fields.slice(0, -1)},"availability":`;
    prefixes.set(h, p);
  }
  return p;
};

/** Search, product and availability routes (anyone). Availability and product come from Redis. */
export const productRoutes = (deps: ReadApiDeps, limit: MiddlewareHandler) => {
  const app = new Hono();
  const ns = { namespace: deps.namespace };
  const redisRevision = async (skuId: string) =>
    (await readAvailability(deps.redis, skuId, ns))?.revision ?? null;

  app.get("/v1/products", limit, async (c) => {
    const decoded = SearchParams.decode(c.req.query());
    if (E.isLeft(decoded)) {
      const first = decoded.left[0];
      const key = first === undefined ? "" : decodeErrorPath(first);
      return problem(c, "bad-request", `query parameter ${key || "?"} is invalid`);
    }
    const p = decoded.right;
    if (p.q !== undefined && p.q.length > 200)
      return problem(c, "bad-request", "q is at most 200 characters");
    const page = p.page ?? 1;
    const size = p.size ?? 20;
    if (page * size > MAX_RESULT_WINDOW)
      return problem(
        c,
        "bad-request",
        `page × size must be at most ${MAX_RESULT_WINDOW} (search serves no result past the ${MAX_RESULT_WINDOW}th); got page ${page}, size ${size}`,
      );
    const behind = await awaitMinRevision(c, deps, async (skuId) => {
      const r = await deps.search.revisionOf(skuId)();
      return E.isRight(r) ? r.right : null;
    });
    if (behind !== null) return behind;
    const r = await deps.search.search(
      {
        page,
        size,
        ...(p.q === undefined || p.q.trim() === "" ? {} : { q: p.q }),
        ...(p.inStock === undefined ? {} : { inStock: p.inStock === "true" }),
        ...(p.minPriceCents === undefined ? {} : { minPriceCents: p.minPriceCents }),
        ...(p.maxPriceCents === undefined ? {} : { maxPriceCents: p.maxPriceCents }),
        ...(p.tag === undefined ? {} : { tag: p.tag }),
      },
      // A cached page may predate the revision the client asked for; the index itself holds it now.
      { fresh: c.req.header("X-Min-Revision") !== undefined },
    )();
    if (E.isLeft(r)) return problemFor(c, r.left, "search is unavailable; retry");
    // Availability per item from the live view (fresher than the index), through the in-memory copy;
    // the items of a search may be a few seconds old (a list, not a decision: the product's own
    // availability route is exact).
    const items = r.right.items;
    const live: Array<CachedAvailability | null> = new Array(items.length);
    const waits: Promise<void>[] = [];
    items.forEach((h, i) => {
      const copy = deps.availability.peek(h.skuId, SEARCH_ITEM_STALE_MS);
      if (copy !== undefined) live[i] = copy;
      else
        waits.push(
          deps.availability
            .get(h.skuId)()
            .then((a) => {
              live[i] = E.isRight(a) ? a.right : null;
            }),
        );
    });
    if (waits.length > 0) await Promise.all(waits);
    // Written as text from pre-serialised parts: each cached hit's fields once, its availability's
    // body from the availability copy. Same JSON as serialising the page object.
    let body = '{"items":[';
    for (let i = 0; i < items.length; i++) {
      const h = items[i] as ProductHit;
      if (i > 0) body += ",";
      body += `${itemPrefix(h)}${live[i]?.body ?? "null"}}`;
    }
    body += `],"total":${r.right.total},"totalRelation":"${r.right.totalRelation}","page":${page},"size":${size}}`;
    if (r.right.cache !== undefined) c.header("X-Search-Cache", r.right.cache);
    return c.body(body, 200, { "Content-Type": "application/json" });
  });

  app.get("/v1/products/:skuId", limit, async (c) => {
    const skuId = c.req.param("skuId");
    if (!Identifier.is(skuId)) return problem(c, "bad-request", "skuId is 1–64 of letters, digits, . _ -");
    const behind = await awaitMinRevision(c, deps, redisRevision);
    if (behind !== null) return behind;
    const p = await readProduct(deps.redis, skuId, ns);
    if (p === null) return problem(c, "unknown-sku", `no product ${skuId}`);
    return c.json(p);
  });

  return app;
};
