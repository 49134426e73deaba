import type { EventStore } from "../../infra/event-store/port.ts";
import { makeTokenVerifier } from "../../infra/http/auth.ts";
import { silentLogger } from "../../infra/observability/logger.ts";
import { makeRegistry } from "../../infra/observability/metrics.ts";
import { availabilityProjection } from "../../projections/availability/redis.ts";
import { ordersProjection } from "../../projections/orders/postgres.ts";
import { productsProjection } from "../../projections/products/elasticsearch.ts";
import { elasticsearchProductSearch } from "../../projections/products/search.ts";
import { projectionMetrics } from "../../projections/runtime/metrics.ts";
import { type RunningProjector, runProjector } from "../../projections/runtime/runner.ts";
import { memoryStatusSink } from "../../projections/runtime/status.ts";
import { testElasticsearch } from "../../projections/testing/elasticsearch.ts";
import { testDatabase } from "../../projections/testing/postgres.ts";
import { testRedis } from "../../projections/testing/redis.ts";
import { makeReadApp } from "../app.ts";
import { makeAvailabilityCache } from "../availability-cache.ts";
import type { ReadApiDeps } from "../deps.ts";

/** The read API over real Redis, PostgreSQL and Elasticsearch views, fed by projectors from `store`. */
export interface ReadStack {
  readonly redis: ReturnType<typeof testRedis>;
  readonly db: Awaited<ReturnType<typeof testDatabase>>;
  readonly status: ReturnType<typeof memoryStatusSink>;
  readonly deps: ReadApiDeps;
  readonly app: ReturnType<typeof makeReadApp>;
  /** Stops the projectors and releases every connection, the store and the test namespaces. */
  close(): Promise<void>;
}

/**
 * TEST HARNESS (read-api integration tests): every read model's projector running on `store`, and the
 * read app serving them with tokens signed by `secret`.
 *
 * @example const stack = await openReadStack(store, { secret: SECRET, minRevisionWaitMs: 1500 });
 */
export const openReadStack = async (
  store: EventStore,
  opts: { readonly secret: string; readonly minRevisionWaitMs: number },
): Promise<ReadStack> => {
  const redis = testRedis();
  const db = await testDatabase();
  const es = testElasticsearch();
  const sub = redis.redis.duplicate();
  const status = memoryStatusSink();
  const metrics = projectionMetrics(makeRegistry({ defaults: false }));
  const run = (projection: Parameters<typeof runProjector>[0]["projection"]) =>
    runProjector({ store, projection, logger: silentLogger(), metrics, status });
  const projectors: RunningProjector[] = [
    run(availabilityProjection(redis.redis, { namespace: redis.namespace })),
    run(ordersProjection(db.pool)),
    run(productsProjection(es.es, { prefix: es.prefix })),
  ];
  const deps: ReadApiDeps = {
    redis: redis.redis,
    namespace: redis.namespace,
    pool: db.pool,
    search: elasticsearchProductSearch(es.es, { prefix: es.prefix }),
    availability: makeAvailabilityCache({ redis: redis.redis, subscriber: sub, namespace: redis.namespace }),
    verify: makeTokenVerifier(opts.secret),
    limiter: null,
    ipRead: null,
    minRevisionWaitMs: opts.minRevisionWaitMs,
  };
  return {
    redis,
    db,
    status,
    deps,
    app: makeReadApp(deps),
    close: async () => {
      await Promise.all(projectors.map((p) => p.stop()));
      await deps.availability.close();
      sub.disconnect();
      await store.close();
      await redis.cleanup();
      await db.cleanup();
      await es.cleanup();
    },
  };
};
