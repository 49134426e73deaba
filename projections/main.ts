import * as E from "fp-ts/lib/Either.js";
import pg from "pg";
import type { CommandQueue } from "../infra/command-queue/port.ts";
import { elasticsearchReady, makeElasticsearch } from "../infra/elasticsearch/client.ts";
import { makeEventStore } from "../infra/event-store/index.ts";
import { ensureIntegrationTopic } from "../infra/kafka/integration-topic.ts";
import { makeKafka } from "../infra/kafka/client.ts";
import { makeRedis, redisReady } from "../infra/redis/client.ts";
import type { Role, RoleContext } from "../infra/process/role.ts";
import { availabilityProjection } from "./availability/redis.ts";
import { defaultReadSideNames, type ReadSideNames } from "./names.ts";
import { ordersProjection } from "./orders/postgres.ts";
import { startSweeper } from "./orders/sweeper.ts";
import { productsProjection } from "./products/elasticsearch.ts";
import { searchVersionBumper } from "./products/search-cache.ts";
import { relayProjection } from "./relay/kafka.ts";
import { projectionMetrics } from "./runtime/metrics.ts";
import { type RunningProjector, runProjector } from "./runtime/runner.ts";
import { tracedProjection } from "./runtime/traced.ts";
import { disabledTracing } from "../infra/observability/tracing.ts";
import { redisStatusSink } from "./runtime/status.ts";

export interface ProjectorRoleOptions {
  readonly names?: ReadSideNames;
  /**
   * The command queue for the sweeper (third expiry layer). The composition above (`holdfast serve`)
   * passes the write path's Kafka queue; without it the sweeper does not run.
   */
  readonly commandQueue?: (
    ctx: RoleContext,
  ) => Promise<{ readonly queue: CommandQueue; stop(): Promise<void> }>;
  readonly sweepIntervalMs?: number;
  /** A projection lagging more than this many events (counted up to 10,000) makes the role not ready. */
  readonly maxReadyLag?: number;
}

/**
 * Role `projector`: runs the four projectors (Redis availability, PostgreSQL orders, Elasticsearch
 * products, Kafka integration relay) and the expiry sweeper. Readiness fails while a projector is parked
 * or lags far behind.
 */
export const projectorRole = (opts: ProjectorRoleOptions = {}): Role => ({
  name: "projector",
  start: async (ctx) => {
    const names = opts.names ?? defaultReadSideNames;
    const logger = ctx.logger.child({ role: "projector" });
    const store = await makeEventStore(ctx.config)();
    if (E.isLeft(store)) throw new Error(`event store unavailable: ${JSON.stringify(store.left)}`);
    const pool = new pg.Pool({
      connectionString: ctx.config.databaseUrl,
      max: 6,
      application_name: "holdfast-projector",
    });
    pool.on("error", () => undefined);
    const redis = makeRedis(ctx.config, { name: "holdfast-projector", autoPipelining: false });
    const es = makeElasticsearch(ctx.config);
    const kafka = makeKafka(ctx.config, { clientId: "holdfast-projector", logger });
    const admin = kafka.admin();
    await admin.connect();
    await ensureIntegrationTopic(admin, names.integrationTopic);
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const metrics = projectionMetrics(ctx.registry);
    const status = redisStatusSink(redis, names.redisNamespace);
    const run = (
      projection: Parameters<typeof runProjector>[0]["projection"],
      retry?: Parameters<typeof runProjector>[0]["retry"],
    ) =>
      runProjector({
        store: store.right,
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
    const queue = opts.commandQueue === undefined ? null : await opts.commandQueue(ctx);
    const sweeper =
      queue === null
        ? null
        : startSweeper({ pool, queue: queue.queue, logger }, { intervalMs: opts.sweepIntervalMs ?? 10_000 });
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
        await sweeper?.stop();
        await queue?.stop();
        await Promise.all(projectors.map((p) => p.stop()));
        await producer.disconnect();
        await store.right.close();
        await es.close();
        await pool.end();
        redis.disconnect();
      },
    };
  },
});
