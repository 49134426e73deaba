import { randomUUID } from "node:crypto";
import type { Hono } from "hono";
import { openCommandQueue } from "../infra/command-queue/open.ts";
import { skuListedIn } from "../infra/command-queue/partitions.ts";
import {
  authSettings,
  faultSettings,
  kafkaSettings,
  postgresSettings,
  rateLimitSettings,
  redisSettings,
} from "../infra/config/config.ts";
import { makeTokenVerifier } from "../infra/http/auth.ts";
import { kafkaReady } from "../infra/kafka/client.ts";
import { reservationsCounter } from "../infra/observability/reservations-metric.ts";
import { tracedEnqueue } from "../infra/observability/traced-enqueue.ts";
import { disabledTracing } from "../infra/observability/tracing.ts";
import type { Namespace } from "../infra/process/namespace.ts";
import type { Role } from "../infra/process/role.ts";
import { makeRedis, redisReady } from "../infra/redis/client.ts";
import { makeEdgeAvailability } from "../infra/redis/edge-availability.ts";
import { makeRedisIdempotency } from "../infra/redis/idempotency.ts";
import { makeOutcomeWaiter, readOutcome } from "../infra/redis/outcomes.ts";
import { makeRateLimiter } from "../infra/redis/rate-limit.ts";
import { FAULT_KEY_PREFIX } from "./admission.ts";
import { makeWriteApi } from "./app.ts";
import { sampleLoopDelay } from "./loop-delay.ts";
import { writeApiMetrics } from "./metrics.ts";
import { makeOverloadGuard } from "./overload.ts";

export const DEFAULT_WAIT_BUDGET_MS = 3000;

/** The config the write API reads: the queue (Kafka + the partition registry), Redis, tokens, limits. */
export const writeApiSettings = {
  ...postgresSettings,
  ...kafkaSettings,
  ...redisSettings,
  ...authSettings,
  ...rateLimitSettings,
  ...faultSettings,
};

/**
 * Role `write-api`, its composition root: the write routes on the shared port. One Redis connection for
 * commands (auto pipelined), one subscriber connection for this process's reply channel, one command
 * producer.
 */
export const writeApiRole = (
  ns: Namespace,
  opts: { readonly waitBudgetMs?: number } = {},
): Role<typeof writeApiSettings> => ({
  name: "write-api",
  settings: writeApiSettings,
  start: async (ctx) => {
    const { config } = ctx;
    const logger = ctx.logger.child({ role: "write-api" });
    // 1. The command queue, and the partition registry that doubles as the SKU registry.
    const infra = await openCommandQueue(config, {
      topics: ns.topics,
      clientId: "holdfast-write-api",
      logger,
    });
    // 2. Redis: commands (no offline queue: while Redis is away a write is answered 503 at once, see
    //    admission.ts, not held), and this process's reply channel.
    const redis = makeRedis(config, { name: "holdfast-write-api", offlineQueue: false });
    const subscriber = makeRedis(config, { name: "holdfast-write-api-replies", subscriber: true });
    const waiter = await makeOutcomeWaiter(subscriber, `${ns.redisPrefix}replies:${randomUUID()}`);
    const { idempotency, refs } = makeRedisIdempotency(redis, ns.redisPrefix);
    // 3. Admission: the overload guard over the wait budget and the event loop's delay.
    const metrics = writeApiMetrics(ctx.registry);
    const waitBudgetMs = opts.waitBudgetMs ?? DEFAULT_WAIT_BUDGET_MS;
    const loop = sampleLoopDelay();
    const overload = makeOverloadGuard(
      { waitBudgetMs, maxInFlight: 10_000, maxLoopDelayMs: 500, minInFlight: 100 },
      { nowMs: Date.now, loopDelayMs: loop.delayMs, onShed: (reason) => metrics.shed.inc({ reason }) },
    );
    // 4. The app.
    const reservations = reservationsCounter(ctx.registry);
    const app = makeWriteApi({
      edgeRefusal: (reason) => reservations.inc({ outcome: "refused", reason }),
      overload: overload.middleware,
      observe: (phase, seconds) => metrics.phases.observe({ phase }, seconds),
      verify: makeTokenVerifier(config.jwtSecret, { maxLifetimeSeconds: config.tokenMaxSeconds }),
      enqueue: tracedEnqueue(ctx.tracing ?? disabledTracing(), ns.topics.commands, (cmd) =>
        infra.queue.enqueue(cmd),
      ),
      skuListed: skuListedIn(infra.registry),
      availability: makeEdgeAvailability(redis, {
        prefix: ns.redisPrefix,
        viewNamespace: ns.availabilityNamespace,
      }),
      idempotency,
      refs,
      outcomes: {
        replyTo: waiter.replyTo,
        expect: (requestId, timeoutMs) => waiter.expect(requestId, timeoutMs),
        read: (requestId) => readOutcome(redis, ns.redisPrefix, requestId),
      },
      rateLimits:
        config.rateLimits === null
          ? null
          : { limiter: makeRateLimiter(redis, { prefix: ns.redisPrefix }), limits: config.rateLimits },
      waitBudgetMs,
      ...(config.testFault === "kill-after-claim"
        ? {
            faultAfterClaim: (key: string) => {
              if (key.startsWith(FAULT_KEY_PREFIX)) process.kill(process.pid, "SIGKILL");
            },
          }
        : {}),
      newId: randomUUID,
      now: () => new Date(),
      logger,
    });
    return {
      app: app as unknown as Hono,
      readiness: [
        { name: "redis", check: redisReady(redis) },
        { name: "kafka", check: kafkaReady(infra.kafka) },
      ],
      stop: async () => {
        loop.stop();
        await waiter.close();
        await infra.stop();
        redis.disconnect();
      },
    };
  },
});
