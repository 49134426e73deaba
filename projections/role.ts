import { openCommandQueue } from "../infra/command-queue/open.ts";
import { type CommandTopics, commandTopics } from "../infra/command-queue/topics.ts";
import { eventStoreSettings, kafkaSettings, redisSettings, searchSettings } from "../infra/config/config.ts";
import { elasticsearchReady, makeElasticsearch } from "../infra/elasticsearch/client.ts";
import { openEventStore } from "../infra/event-store/index.ts";
import { makeKafka } from "../infra/kafka/client.ts";
import { ensureIntegrationTopic } from "../infra/kafka/integration-topic.ts";
import { disabledTracing } from "../infra/observability/tracing.ts";
import { openPool } from "../infra/postgres/pool.ts";
import type { Role } from "../infra/process/role.ts";
import { makeRedis, redisReady } from "../infra/redis/client.ts";
import { availabilityProjection } from "./availability/redis.ts";
import { defaultReadSideNames, type ReadSideNames } from "./names.ts";
import { ordersProjection } from "./orders/postgres.ts";
import { startSweeper } from "./orders/sweeper.ts";
import { productsProjection } from "./products/elasticsearch.ts";
import { searchVersionBumper } from "./products/search-cache.ts";
import { relayProjection } from "./relay/kafka.ts";
import { projectionMetrics } from "./runtime/metrics.ts";
import { type RunningProjector, runProjector } from "./runtime/runner.ts";
import { redisStatusSink } from "./runtime/status.ts";
import { tracedProjection } from "./runtime/traced.ts";

/** The config the projector reads: the event store, the four read models' servers, the command queue. */
export const projectorSettings = {
  ...eventStoreSettings,
  ...redisSettings,
  ...searchSettings,
  ...kafkaSettings,
};

export interface ProjectorRoleOptions {
  readonly names?: ReadSideNames;
  /** The command topics the sweeper (third expiry layer) enqueues ExpireHolds on (default production's). */
  readonly commandTopics?: CommandTopics;
  readonly sweepIntervalMs?: number;
  /** A projection lagging more than this many events (counted up to 10,000) makes the role not ready. */
  readonly maxReadyLag?: number;
}

/**
 * Role `projector`, its composition root: runs the four projectors (Redis availability, PostgreSQL
 * orders, Elasticsearch products, Kafka integration relay) and the expiry sweeper. Readiness fails while
 * a projector is parked or lags far behind.
 */
export const projectorRole = (opts: ProjectorRoleOptions = {}): Role<typeof projectorSettings> => ({
  name: "projector",
  settings: projectorSettings,
  start: async (ctx) => {
    const { config } = ctx;
    const names = opts.names ?? defaultReadSideNames;
    const logger = ctx.logger.child({ role: "projector" });
    // 1. Clients: the event store, PostgreSQL, Redis, Elasticsearch, and Kafka for the relay.
    const store = await openEventStore(config);
    const pool = openPool(config, { max: 6, name: "holdfast-projector" });
    const redis = makeRedis(config, { name: "holdfast-projector", autoPipelining: false });
    const es = makeElasticsearch(config);
    const kafka = makeKafka(config, { clientId: "holdfast-projector", logger });
    const admin = kafka.admin();
    await admin.connect();
    await ensureIntegrationTopic(admin, names.integrationTopic);
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // 2. The projectors, each from its checkpoint.
    const metrics = projectionMetrics(ctx.registry);
    const status = redisStatusSink(redis, names.redisNamespace);
    const run = (
      projection: Parameters<typeof runProjector>[0]["projection"],
      retry?: Parameters<typeof runProjector>[0]["retry"],
    ) =>
      runProjector({
        store,
        projection: tracedProjection(projection, ctx.tracing ?? disabledTracing()),
        logger,
        metrics,
        status,
        ...(retry ? { retry } : {}),
      });
    const projectors: RunningProjector[] = [
      run(availabilityProjection(redis, { namespace: names.redisNamespace })),
      run(ordersProjection(pool)),
      run(
        productsProjection(es, {
          prefix: names.searchPrefix,
          onSearchableChange: searchVersionBumper({ redis, namespace: names.redisNamespace }),
        }),
      ),
      // The relay's only failure is the broker (or PostgreSQL) being away, never a poison event: it
      // retries until they are back (backoff ≤ 2 s) instead of parking after a few attempts.
      run(relayProjection({ pool, producer, topic: names.integrationTopic, name: "integration-relay" }), {
        attempts: Number.MAX_SAFE_INTEGER,
        baseDelayMs: 100,
        maxDelayMs: 2000,
      }),
    ];
    // 3. The sweeper (third expiry layer), on the same command queue as the write API.
    const queue = await openCommandQueue(config, {
      topics: opts.commandTopics ?? commandTopics(),
      clientId: "holdfast-sweeper",
      logger: ctx.logger,
    });
    const sweeper = startSweeper(
      { pool, queue: queue.queue, logger },
      { intervalMs: opts.sweepIntervalMs ?? 10_000 },
    );
    const maxLag = opts.maxReadyLag ?? 5_000;
    return {
      readiness: [
        { name: "redis", check: redisReady(redis) },
        { name: "elasticsearch", check: elasticsearchReady(es) },
        {
          name: "projections",
          check: async () => {
            const bad = projectors
              .map((p) => p.status())
              .filter((s) => s.state === "parked" || (s.lagEvents ?? 0) > maxLag)
              .map((s) => `${s.name} ${s.state} lag ${s.lagEvents ?? "?"}`);
            return bad.length === 0 ? null : bad.join("; ");
          },
        },
      ],
      stop: async () => {
        await sweeper.stop();
        await queue.stop();
        await Promise.all(projectors.map((p) => p.stop()));
        await producer.disconnect();
        await store.close();
        await es.close();
        await pool.end();
        redis.disconnect();
      },
    };
  },
});
