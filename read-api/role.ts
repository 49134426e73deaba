import type { Hono } from "hono";
import {
  authSettings,
  postgresSettings,
  rateLimitSettings,
  redisSettings,
  searchSettings,
} from "../infra/config/config.ts";
import { elasticsearchReady, makeElasticsearch } from "../infra/elasticsearch/client.ts";
import { makeTokenVerifier } from "../infra/http/auth.ts";
import { openPool } from "../infra/postgres/pool.ts";
import type { Role } from "../infra/process/role.ts";
import { makeRedis, redisReady } from "../infra/redis/client.ts";
import { makeRateLimiter } from "../infra/redis/rate-limit.ts";
import { defaultReadSideNames, type ReadSideNames } from "../projections/names.ts";
import { elasticsearchProductSearch } from "../projections/products/search.ts";
import { cachedProductSearch } from "../projections/products/search-cache.ts";
import { makeReadApp } from "./app.ts";
import { makeAvailabilityCache } from "./availability-cache.ts";

/** The config the read API reads: the three read models' servers, tokens, limits. */
export const readApiSettings = {
  ...postgresSettings,
  ...redisSettings,
  ...searchSettings,
  ...authSettings,
  ...rateLimitSettings,
};

/**
 * Role `read-api`, its composition root: the read routes on the shared port. One auto-pipelined Redis
 * connection (availability reads of concurrent requests share round trips), one subscriber connection
 * that keeps the in-memory availability fresh (availability-cache.ts; it also feeds the SSE stream), a
 * small PostgreSQL pool for the order views, an Elasticsearch client for search.
 */
export const readApiRole = (
  opts: { readonly names?: ReadSideNames; readonly minRevisionWaitMs?: number } = {},
): Role<typeof readApiSettings> => ({
  name: "read-api",
  settings: readApiSettings,
  start: async (ctx) => {
    const { config } = ctx;
    const names = opts.names ?? defaultReadSideNames;
    const redis = makeRedis(config, { name: "holdfast-read-api" });
    const subscriber = makeRedis(config, { name: "holdfast-read-api-sse", subscriber: true });
    const pool = openPool(config, { max: 8, name: "holdfast-read-api" });
    const es = makeElasticsearch(config);
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
      verify: makeTokenVerifier(config.jwtSecret, { maxLifetimeSeconds: config.tokenMaxSeconds }),
      limiter: config.rateLimits === null ? null : makeRateLimiter(redis, { prefix: names.redisNamespace }),
      ipRead: config.rateLimits?.ipRead ?? null,
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
