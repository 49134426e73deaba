import type { Client } from "@elastic/elasticsearch";
import type { Redis } from "ioredis";
import type { Pool } from "pg";
import { applyMergedRebuildBatch, availabilityProjection } from "../availability/redis.ts";
import {
  createAvailabilityGeneration,
  dropAvailabilityGeneration,
  swapAvailabilityGeneration,
} from "../availability/generations.ts";
import type { RebuildableProjection } from "../names.ts";
import { ordersProjection } from "../orders/postgres.ts";
import { createOrdersGeneration, dropOrdersGeneration, swapOrdersGeneration } from "../orders/schema.ts";
import { productsProjection } from "../products/elasticsearch.ts";
import {
  createProductIndex,
  ensureLiveProducts,
  nextProductGeneration,
  productIndices,
  swapProductGeneration,
} from "../products/indices.ts";
import { searchVersionBumper } from "../products/search-cache.ts";
import type { RebuildTarget } from "./rebuild.ts";

export const availabilityTarget = (redis: Redis, namespace: string): RebuildTarget => ({
  name: "availability",
  createGeneration: () => createAvailabilityGeneration(redis, namespace),
  projection: (gen) => availabilityProjection(redis, { namespace, generation: gen }),
  swap: (gen) => swapAvailabilityGeneration(redis, namespace, gen),
  drop: (gen) => dropAvailabilityGeneration(redis, namespace, gen),
  prepared: {
    name: "availability",
    apply: (generation, batchText, position) =>
      applyMergedRebuildBatch(redis, { namespace, generation }, batchText, position),
  },
});

export const ordersTarget = (pool: Pool): RebuildTarget => ({
  name: "orders",
  createGeneration: () => createOrdersGeneration(pool),
  projection: (gen) => ordersProjection(pool, { generation: gen }),
  swap: async (gen) => {
    const r = await swapOrdersGeneration(pool, gen);
    return r._tag === "Swapped" ? r : { _tag: "Behind" };
  },
  drop: async (gen) => {
    await dropOrdersGeneration(pool, gen);
  },
});

/** `redis`/`namespace`: where the search result cache's version lives, bumped after the swap. */
export const productsTarget = (
  es: Client,
  prefix: string,
  searchCache?: { readonly redis: Redis; readonly namespace: string },
): RebuildTarget => ({
  name: "products",
  createGeneration: async () => {
    await ensureLiveProducts(es, prefix);
    const gen = await nextProductGeneration(es, prefix);
    await createProductIndex(es, prefix, gen);
    return gen;
  },
  projection: (gen) => productsProjection(es, { prefix, generation: gen }),
  swap: async (gen) => {
    const r = await swapProductGeneration(es, prefix, gen);
    if (r._tag === "Swapped" && searchCache !== undefined) await searchVersionBumper(searchCache)();
    return r._tag === "Swapped" ? r : { _tag: "Behind" };
  },
  drop: async (gen) => {
    await es.indices.delete({ index: productIndices(prefix).generation(gen) }).catch(() => {});
  },
});

export const rebuildTarget = (
  name: RebuildableProjection,
  deps: {
    readonly redis: Redis;
    readonly pool: Pool;
    readonly es: Client;
    readonly redisNamespace: string;
    readonly searchPrefix: string;
  },
): RebuildTarget => {
  switch (name) {
    case "availability":
      return availabilityTarget(deps.redis, deps.redisNamespace);
    case "orders":
      return ordersTarget(deps.pool);
    case "products":
      return productsTarget(deps.es, deps.searchPrefix, {
        redis: deps.redis,
        namespace: deps.redisNamespace,
      });
    default: {
      const never: never = name;
      throw new Error(`unknown projection ${String(never)}`);
    }
  }
};
