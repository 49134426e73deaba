import { Partitioners } from "kafkajs";
import { readFile } from "node:fs/promises";
import { checkpointSettings, eventStoreSettings, kafkaSettings } from "../../infra/config/config.ts";
import { openEventStore } from "../../infra/event-store/index.ts";
import { makeKafka } from "../../infra/kafka/client.ts";
import type { Role } from "../../infra/process/role.ts";
import { type RunningPublisher, startCheckpointPublisher } from "./publisher.ts";
import { ensureCheckpointsTopic, headMessage } from "./topic.ts";

export interface CheckpointsRoleOptions {
  readonly topic: string;
  readonly everyEvents?: number;
  readonly everyMs?: number;
}

/** The config the checkpoint publisher reads: the operator's key, the event store, Kafka. */
export const checkpointsSettings = { ...checkpointSettings, ...eventStoreSettings, ...kafkaSettings };

/**
 * Role `checkpoints`: the checkpoint publisher (see publisher.ts) on `holdfast.sku-checkpoints.v1`,
 * signing each SKU's tree head every N events or seconds while its stream grows. Witnesses
 * (`holdfast audit witness`) follow the topic and co-sign. The operator's Ed25519 private key file
 * (PEM) comes from `HOLDFAST_CHECKPOINT_KEY`; without one the role runs but signs nothing (and says so
 * once), so `holdfast serve` works on a laptop without keys.
 */
export const checkpointsRole = (opts: CheckpointsRoleOptions): Role<typeof checkpointsSettings> => ({
  name: "checkpoints",
  settings: checkpointsSettings,
  start: async (ctx) => {
    const logger = ctx.logger.child({ role: "checkpoints" });
    const keyFile = ctx.config.checkpointKeyFile;
    if (keyFile === null) {
      logger.warn("HOLDFAST_CHECKPOINT_KEY is unset: no tree heads are signed or published");
      return { stop: async () => undefined };
    }
    const privatePem = await readFile(keyFile, "utf8");
    const store = await openEventStore(ctx.config);
    const kafka = makeKafka(ctx.config, { clientId: "holdfast-checkpoints", logger });
    const admin = kafka.admin();
    await admin.connect();
    await ensureCheckpointsTopic(admin, opts.topic);
    await admin.disconnect();
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    let publisher: RunningPublisher;
    try {
      publisher = await startCheckpointPublisher({
        store,
        privatePem,
        logger,
        ...(opts.everyEvents === undefined ? {} : { everyEvents: opts.everyEvents }),
        ...(opts.everyMs === undefined ? {} : { everyMs: opts.everyMs }),
        publish: async (heads) => {
          await producer.send({ topic: opts.topic, acks: -1, messages: heads.map(headMessage) });
        },
      });
    } catch (e) {
      await producer.disconnect();
      await store.close();
      throw e;
    }
    return {
      readiness: [
        {
          name: "checkpoints",
          check: async () =>
            publisher.broken().length === 0
              ? null
              : `broken chains, not signed: ${publisher.broken().join(", ")}`,
        },
      ],
      stop: async () => {
        await publisher.stop();
        await producer.disconnect();
        await store.close();
      },
    };
  },
});
