import { queuedCommand } from "../../infra/command-queue/queued-command.ts";
import { randomUUID } from "node:crypto";
import * as E from "fp-ts/lib/Either.js";
import { startCommandHandler } from "../../commands/handler/consumer.ts";
import { makeExpiryScheduler } from "../../commands/handler/expiry-scheduler.ts";
import { makeHandlerMetrics } from "../../commands/handler/metrics.ts";
import { makeParkingLot } from "../../commands/handler/parked-skus.ts";
import { makeHandlerObservability } from "../../commands/handler/observability.ts";
import { disabledTracing } from "../../infra/observability/tracing.ts";
import { kafkaReady } from "../../infra/kafka/client.ts";
import { failoverSessionTimeout } from "../../infra/kafka/failover.ts";
import { makeRedis, redisReady } from "../../infra/redis/client.ts";
import { publishOutcomes, readOutcome } from "../../infra/redis/outcomes.ts";
import type { Namespace } from "./namespace.ts";
import { openEventStore, startQueueInfra } from "./queue-infra.ts";
import type { Role } from "../../infra/process/role.ts";

/**
 * Role `command-handler`: the serialized per-SKU writer. Its own queue producer is for the expiry
 * scheduler (ExpireHolds at each hold deadline).
 */
export const commandHandlerRole = (ns: Namespace, opts: { readonly groupId?: string } = {}): Role => ({
  name: "command-handler",
  start: async (ctx) => {
    const logger = ctx.logger.child({ role: "command-handler" });
    const infra = await startQueueInfra(ctx.config, ns, logger, "holdfast-command-handler");
    const store = await openEventStore(ctx.config);
    const redis = makeRedis(ctx.config, { name: "holdfast-command-handler" });
    const scheduler = makeExpiryScheduler({
      nowMs: Date.now,
      onError: (skuId, e) => logger.warn({ skuId, err: e }, "expiry enqueue failed"),
      expire: async (skuId) => {
        const r = await infra.queue.enqueue(queuedCommand(skuId, { type: "ExpireHolds" }))();
        if (E.isLeft(r)) throw new Error(JSON.stringify(r.left));
      },
    });
    const groupId = opts.groupId ?? ns.handlerGroup;
    const parking = await makeParkingLot({
      pool: infra.pool,
      store,
      groupId,
      logger,
      registry: ctx.registry,
    });
    const observability = makeHandlerObservability({
      registry: ctx.registry,
      tracing: ctx.tracing ?? disabledTracing(),
      logger,
    });
    const handler = await startCommandHandler({
      observability,
      sessionTimeout: await failoverSessionTimeout(infra.admin, logger),
      registry: ctx.registry,
      parking,
      kafka: infra.kafka,
      topics: ns.topics,
      groupId,
      store: observability.observeStore(store),
      now: () => new Date(),
      newId: randomUUID,
      recordedOutcome: (requestId) => readOutcome(redis, ns.redisPrefix, requestId),
      publish: (replies, view) => publishOutcomes(redis, ns.redisPrefix, replies, view),
      scheduler,
      logger,
      metrics: makeHandlerMetrics(ctx.registry),
    });
    return {
      readiness: [
        { name: "redis", check: redisReady(redis) },
        { name: "kafka", check: kafkaReady(infra.kafka) },
        { name: "consumer", check: handler.progress },
        {
          name: "parked-skus",
          check: async () => {
            const p = parking.parked();
            return p.length === 0
              ? null
              : { detail: `parked (holdfast handler resume SKU): ${p.map((x) => x.skuId).join(", ")}` };
          },
        },
        {
          name: "event-store",
          check: async () => {
            const r = await store.headPosition()();
            return E.isLeft(r) ? r.left._tag : null;
          },
        },
      ],
      stop: async () => {
        await handler.stop();
        await infra.stop();
        await store.close();
        redis.disconnect();
      },
    };
  },
});
