import * as E from "fp-ts/lib/Either.js";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeMemoryEventStore } from "../../infra/event-store/memory.ts";
import { decodeEvent } from "../../event-schemas/index.ts";
import { testElasticsearch } from "../testing/elasticsearch.ts";
import { testRedis } from "../testing/redis.ts";
import { listed, placed } from "../../event-schemas/testing/sku-events.ts";
import { skuScenario } from "../testing/scenario.ts";
import { productsProjection } from "./elasticsearch.ts";
import { cachedProductSearch, searchCacheKeys, searchVersionBumper } from "./search-cache.ts";
import type { ProductQuery, ProductSearch, SearchResult } from "./search-port.ts";

let t: ReturnType<typeof testRedis>;
beforeEach(() => {
  t = testRedis();
});
afterEach(async () => {
  await t.cleanup();
});

/** A backend that answers after a moment and counts what it was asked. */
const countingBackend = () => {
  const asked: ProductQuery[] = [];
  const backend: ProductSearch = {
    search: (q) => async () => {
      asked.push(q);
      await new Promise((r) => setTimeout(r, 20));
      const result: SearchResult = {
        items: [
          {
            skuId: `sku-for-${q.q ?? "all"}`,
            name: "n",
            description: "d",
            priceCents: 1,
            currency: "EUR",
            tags: [],
            inStock: true,
            revision: 0,
          },
        ],
        total: 1,
        totalRelation: "eq",
      };
      return E.right(result);
    },
    revisionOf: () => async () => E.right(null),
  };
  return { asked, backend };
};

const q = (text: string, over: Partial<ProductQuery> = {}): ProductQuery => ({
  q: text,
  page: 1,
  size: 20,
  ...over,
});
const how = async (s: ProductSearch, query: ProductQuery) => {
  const r = await s.search(query)();
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right.cache;
};

describe("search result cache", () => {
  it("one backend call per normalised query; the same words in other case and spacing are a hit", async () => {
    const { asked, backend } = countingBackend();
    const s = cachedProductSearch(backend, { redis: t.redis, namespace: t.namespace });
    expect(await how(s, q("Red  Tee"))).toBe("miss");
    expect(await how(s, q(" red tee "))).toBe("hit");
    expect(asked.map((x) => x.q)).toEqual(["red tee"]);
    // Another process (its own in-memory part empty) shares the entry through Redis.
    const other = cachedProductSearch(backend, { redis: t.redis, namespace: t.namespace });
    expect(await how(other, q("RED TEE"))).toBe("hit");
    // Filters and pages are other questions.
    expect(await how(s, q("red tee", { inStock: true }))).toBe("miss");
    expect(await how(s, q("red tee", { page: 2 }))).toBe("miss");
    expect(asked).toHaveLength(3);
  });

  it("a read-your-writes search (fresh) goes to the backend even when the page is cached", async () => {
    const { asked, backend } = countingBackend();
    const s = cachedProductSearch(backend, { redis: t.redis, namespace: t.namespace });
    await how(s, q("linen"));
    expect(await how(s, q("linen"))).toBe("hit");
    const r = await s.search(q("linen"), { fresh: true })();
    expect(E.isRight(r) && r.right.cache).toBeUndefined();
    expect(asked).toHaveLength(2);
  });

  it("identical queries in flight share one backend call", async () => {
    const { asked, backend } = countingBackend();
    const s = cachedProductSearch(backend, { redis: t.redis, namespace: t.namespace });
    const answers = await Promise.all(Array.from({ length: 10 }, () => how(s, q("scarf"))));
    expect(asked).toHaveLength(1);
    expect(answers.filter((a) => a === "miss")).toHaveLength(1);
    expect(answers.filter((a) => a === "shared")).toHaveLength(9);
  });

  it("a version bump makes every entry a miss again, in every process", async () => {
    const { asked, backend } = countingBackend();
    const opts = { redis: t.redis, namespace: t.namespace, versionLeaseMs: 0 };
    const s = cachedProductSearch(backend, opts);
    await how(s, q("cap"));
    expect(await how(s, q("cap"))).toBe("hit");
    await searchVersionBumper({ redis: t.redis, namespace: t.namespace, refreshMs: 10 })();
    expect(await how(s, q("cap"))).toBe("miss");
    expect(asked).toHaveLength(2);
  });

  it("when Redis is unreachable, search still answers (uncached)", async () => {
    const { asked, backend } = countingBackend();
    const down = new Redis({
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    down.on("error", () => {});
    const s = cachedProductSearch(backend, { redis: down, namespace: t.namespace });
    const r = await s.search(q("sock"))();
    expect(E.isRight(r) && r.right.items[0]?.skuId).toBe("sku-for-sock");
    expect(asked).toHaveLength(1);
    down.disconnect();
  });

  it("the products projection bumps the version for what a search can see, not for counts alone", async () => {
    const es = testElasticsearch();
    const store = makeMemoryEventStore();
    try {
      let bumps = 0;
      const p = productsProjection(es.es, {
        prefix: es.prefix,
        onSearchableChange: async () => {
          bumps += 1;
        },
      });
      const sku = skuScenario(store, "bump-1");
      const apply = async () => {
        const all = await store.readAll(null, 100)();
        if (E.isLeft(all)) throw new Error("read");
        const evs = all.right.map((x) => {
          const d = decodeEvent(x.envelope);
          if (E.isLeft(d)) throw new Error("decode");
          return { ...d.right, position: x.position };
        });
        const r = await p.applyBatch(evs, evs[evs.length - 1]!.position)();
        expect(E.isRight(r)).toBe(true);
      };
      await sku.append(listed("bump-1", { stock: 3 }));
      await apply();
      expect(bumps).toBe(1); // a new product
      await sku.append(placed("7f0e3f0a-3b52-4a39-9a55-2d3a5f7f7f01", "a", 1));
      await apply();
      expect(bumps).toBe(1); // only counts changed: still in stock
      await sku.append(placed("7f0e3f0a-3b52-4a39-9a55-2d3a5f7f7f02", "b", 2));
      await apply();
      expect(bumps).toBe(2); // now out of stock: an inStock filter answers differently
    } finally {
      await store.close();
      await es.cleanup();
    }
  });

  it("keys live under the read side's namespace", () => {
    const k = searchCacheKeys("hf:x:");
    expect(k.version).toBe("hf:x:search:version");
    expect(k.entry("3", "abc")).toBe("hf:x:search:r:3:abc");
  });
});
