import type { Hono } from "hono";
import pg from "pg";
import { elasticsearchReady, makeElasticsearch } from "../infra/elasticsearch/client.ts";
import { makeTokenVerifier } from "../infra/http/auth.ts";
import { makeRedis, redisReady } from "../infra/redis/client.ts";
import { makeRateLimiter } from "../infra/redis/rate-limit.ts";
import type { Role } from "../infra/process/role.ts";
import { defaultReadSideNames, type ReadSideNames } from "../projections/names.ts";
import { elasticsearchProductSearch } from "../projections/products/search.ts";
import { cachedProductSearch } from "../projections/products/search-cache.ts";
import { makeReadApp } from "./app.ts";
import { makeAvailabilityCache } from "./availability-cache.ts";

/**
 * Role `read-api`: the read routes on the shared port. One auto-pipelined Redis connection (availability
 * reads of concurrent requests share round trips), one subscriber connection that keeps the in-memory
 * availability fresh (read-api/availability-cache.ts; it also feeds the SSE stream), a small
 * PostgreSQL pool for the order views, an Elasticsearch client for search.
 */
export const readApiRole = (
  opts: { readonly names?: ReadSideNames; readonly minRevisionWaitMs?: number } = {},
): Role => ({
  name: "read-api",
  start: async (ctx) => {
    const names = opts.names ?? defaultReadSideNames;
    const redis = makeRedis(ctx.config, { name: "holdfast-read-api" });
    const subscriber = makeRedis(ctx.config, { name: "holdfast-read-api-sse", subscriber: true });
    const pool = new pg.Pool({
      connectionString: ctx.config.databaseUrl,
      max: 8,
      application_name: "holdfast-read-api",
    });
    pool.on("error", () => undefined);
    const es = makeElasticsearch(ctx.config);
    const availability = makeAvailabilityCache({ redis, subscriber, namespace: names.redisNamespace });
    const app = makeReadApp({
      redis,
      namespace: names.redisNamespace,
      pool,
      search: cachedProductSearch(elasticsearchProductSearch(es, { prefix: names.searchPrefix }), {
        redis,
        namespace: names.redisNamespace,
      }),
      availability,
      verify: makeTokenVerifier(ctx.config.jwtSecret, { maxLifetimeSeconds: ctx.config.tokenMaxSeconds }),
      limiter:
        ctx.config.rateLimits === null ? null : makeRateLimiter(redis, { prefix: names.redisNamespace }),
      ipRead: ctx.config.rateLimits?.ipRead ?? null,
      ...(opts.minRevisionWaitMs === undefined ? {} : { minRevisionWaitMs: opts.minRevisionWaitMs }),
    });
    return {
      app: app as unknown as Hono,
      readiness: [
        { name: "redis", check: redisReady(redis) },
        { name: "elasticsearch", check: elasticsearchReady(es) },
        {
          name: "postgres",
          check: async () => {
            await pool.query("SELECT 1");
            return null;
          },
        },
      ],
      stop: async () => {
        await availability.close();
        subscriber.disconnect();
        await es.close();
        await pool.end();
        redis.disconnect();
      },
    };
  },
});
