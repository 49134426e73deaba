import { randomUUID } from "node:crypto";
import * as E from "fp-ts/lib/Either.js";
import type { Hono } from "hono";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Counter, Histogram } from "prom-client";
import { makeTokenVerifier } from "../../infra/http/auth.ts";
import { kafkaReady } from "../../infra/kafka/client.ts";
import { reservationsCounter } from "../../infra/observability/reservations-metric.ts";
import { tracedEnqueue } from "../../infra/observability/traced-enqueue.ts";
import { disabledTracing } from "../../infra/observability/tracing.ts";
import { makeEdgeAvailability } from "../../infra/redis/edge-availability.ts";
import { makeRedis, redisReady } from "../../infra/redis/client.ts";
import { makeRedisIdempotency } from "../../infra/redis/idempotency.ts";
import { makeOutcomeWaiter, readOutcome } from "../../infra/redis/outcomes.ts";
import { makeRateLimiter } from "../../infra/redis/rate-limit.ts";
import { FAULT_KEY_PREFIX } from "../../write-api/admission.ts";
import { makeWriteApi } from "../../write-api/app.ts";
import { makeOverloadGuard } from "../../write-api/overload.ts";
import type { Namespace } from "./namespace.ts";
import { startQueueInfra } from "./queue-infra.ts";
import type { Role } from "../../infra/process/role.ts";

export const DEFAULT_WAIT_BUDGET_MS = 3000;

/**
 * Role `write-api`: the write routes on the shared port. One Redis connection for commands (auto
 * pipelined), one subscriber connection for this process's reply channel, one command producer.
 */
export const writeApiRole = (ns: Namespace, opts: { readonly waitBudgetMs?: number } = {}): Role => ({
  name: "write-api",
  start: async (ctx) => {
    const logger = ctx.logger.child({ role: "write-api" });
    const infra = await startQueueInfra(ctx.config, ns, logger, "holdfast-write-api");
    // No offline queue: while Redis is away a write is answered 503 at once (admission.ts), not held.
    const redis = makeRedis(ctx.config, { name: "holdfast-write-api", offlineQueue: false });
    const subscriber = makeRedis(ctx.config, { name: "holdfast-write-api-replies", subscriber: true });
    const waiter = await makeOutcomeWaiter(subscriber, `${ns.redisPrefix}replies:${randomUUID()}`);
    const { idempotency, refs } = makeRedisIdempotency(redis, ns.redisPrefix);
    const availability = makeEdgeAvailability(redis, {
      prefix: ns.redisPrefix,
      viewNamespace: ns.availabilityNamespace,
    });
    const phases = new Histogram({
      name: "holdfast_write_phase_seconds",
      help: "Write path phases: enqueue (produce acknowledged), decision (enqueue to outcome)",
      labelNames: ["phase"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [ctx.registry],
    });
    const waitBudgetMs = opts.waitBudgetMs ?? DEFAULT_WAIT_BUDGET_MS;
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    let loopDelayMs = 0;
    const loopSampler = setInterval(() => {
      // The histogram counts the sampling timer's own resolution as delay: subtract it.
      loopDelayMs = Math.max(0, loop.mean / 1e6 - 10);
      loop.reset();
    }, 250);
    loopSampler.unref();
    const shed = new Counter({
      name: "holdfast_write_shed_total",
      help: "Write requests answered 503 at once because a decision could not come within the wait budget",
      labelNames: ["reason"],
      registers: [ctx.registry],
    });
    const overload = makeOverloadGuard(
      { waitBudgetMs, maxInFlight: 10_000, maxLoopDelayMs: 500, minInFlight: 100 },
      { nowMs: Date.now, loopDelayMs: () => loopDelayMs, onShed: (reason) => shed.inc({ reason }) },
    );
    const reservations = reservationsCounter(ctx.registry);
    const app = makeWriteApi({
      edgeRefusal: (reason) => reservations.inc({ outcome: "refused", reason }),
      overload: overload.middleware,
      observe: (phase, seconds) => phases.observe({ phase }, seconds),
      verify: makeTokenVerifier(ctx.config.jwtSecret, { maxLifetimeSeconds: ctx.config.tokenMaxSeconds }),
      enqueue: tracedEnqueue(ctx.tracing ?? disabledTracing(), ns.topics.commands, (cmd) =>
        infra.queue.enqueue(cmd),
      ),
      skuListed: async (skuId) =>
        E.map((p: number | null) => p !== null)(await infra.registry.partitionOf(skuId)()),
      availability,
      idempotency,
      refs,
      outcomes: {
        replyTo: waiter.replyTo,
        expect: (requestId, timeoutMs) => waiter.expect(requestId, timeoutMs),
        read: (requestId) => readOutcome(redis, ns.redisPrefix, requestId),
      },
      rateLimits:
        ctx.config.rateLimits === null
          ? null
          : { limiter: makeRateLimiter(redis, { prefix: ns.redisPrefix }), limits: ctx.config.rateLimits },
      waitBudgetMs,
      ...(ctx.config.testFault === "kill-after-claim"
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
        clearInterval(loopSampler);
        loop.disable();
        await waiter.close();
        await infra.stop();
        redis.disconnect();
      },
    };
  },
});
