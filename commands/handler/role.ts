import { randomUUID } from "node:crypto";
import * as E from "fp-ts/lib/Either.js";
import { openCommandQueue } from "../../infra/command-queue/open.ts";
import { eventStoreSettings, kafkaSettings, redisSettings } from "../../infra/config/config.ts";
import { openEventStore } from "../../infra/event-store/index.ts";
import { kafkaReady } from "../../infra/kafka/client.ts";
import { failoverSessionTimeout } from "../../infra/kafka/failover.ts";
import { disabledTracing } from "../../infra/observability/tracing.ts";
import type { Namespace } from "../../infra/process/namespace.ts";
import type { Role } from "../../infra/process/role.ts";
import { makeRedis, redisReady } from "../../infra/redis/client.ts";
import { publishOutcomes, readOutcome } from "../../infra/redis/outcomes.ts";
import { queuedCommand } from "../../infra/command-queue/queued-command.ts";
import { startCommandHandler } from "./consumer.ts";
import { makeExpiryScheduler } from "./expiry-scheduler.ts";
import { makeHandlerMetrics } from "./metrics.ts";
import { makeHandlerObservability } from "./observability.ts";
import { makeParkingLot } from "./parked-skus.ts";

/** The config the command handler reads: the event store, the queue (Kafka + PostgreSQL), Redis. */
export const commandHandlerSettings = { ...eventStoreSettings, ...kafkaSettings, ...redisSettings };

/**
 * Role `command-handler`, its composition root: the serialized per-SKU writer. Its own queue producer is
 * for the expiry scheduler (ExpireHolds at each hold deadline).
 */
export const commandHandlerRole = (
  ns: Namespace,
  opts: { readonly groupId?: string } = {},
): Role<typeof commandHandlerSettings> => ({
  name: "command-handler",
  settings: commandHandlerSettings,
  start: async (ctx) => {
    const { config } = ctx;
    const logger = ctx.logger.child({ role: "command-handler" });
    // 1. Clients: the queue (for expiries, and the consumer's Kafka), the event store, Redis.
    const infra = await openCommandQueue(config, {
      topics: ns.topics,
      clientId: "holdfast-command-handler",
      logger,
    });
    const store = await openEventStore(config);
    const redis = makeRedis(config, { name: "holdfast-command-handler" });
    // 2. The expiry scheduler (first expiry layer) and the parking lot for SKUs whose appends fail.
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
    // 3. The consumer.
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
