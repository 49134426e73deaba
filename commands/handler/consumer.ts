import * as E from "fp-ts/lib/Either.js";
import {
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type KafkaMessage,
  Partitioners,
  type Producer,
} from "kafkajs";
import { nextHoldDeadline } from "../../domain/sku/index.ts";
import { QueuedCommand } from "../../event-schemas/index.ts";
import type { EventStore } from "../../infra/event-store/port.ts";
import type { Logger } from "../../infra/observability/logger.ts";
import type { CommandTopics } from "../queue/topics.ts";
import { type ChunkDeps, decideChunk, type QueuedItem, type Reply } from "./decide-chunk.ts";
import type { ExpiryScheduler } from "./expiry-scheduler.ts";
import { loadSku, type SkuEntry } from "./sku-cache.ts";
import type { HandlerMetrics } from "./metrics.ts";

export interface HandlerDeps extends ChunkDeps {
  readonly kafka: Kafka;
  readonly topics: CommandTopics;
  readonly groupId: string;
  readonly store: EventStore;
  readonly publish: (replies: ReadonlyArray<Reply>) => Promise<void>;
  readonly scheduler: ExpiryScheduler;
  readonly logger: Logger;
  readonly metrics: HandlerMetrics;
  /** Most commands of one SKU decided and appended together (default 250). */
  readonly maxChunk?: number;
  /** Partitions (SKUs) decided concurrently (default 4). */
  readonly concurrency?: number;
}

export interface RunningHandler {
  stop(): Promise<void>;
  /** SKUs whose state is cached (for readiness and tests). */
  readonly cachedSkus: () => number;
}

const MAX_CONFLICT_RETRIES = 10;

type Decoded =
  | { readonly ok: true; readonly item: QueuedItem }
  | { readonly ok: false; readonly error: string };

/** Decode one message; anything that is not a well-formed command of its SKU is poison. */
export const decodeMessage = (m: KafkaMessage): Decoded => {
  if (m.value === null) return { ok: false, error: "empty message" };
  let json: unknown;
  try {
    json = JSON.parse(m.value.toString("utf8"));
  } catch (e) {
    return { ok: false, error: `not JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  const r = QueuedCommand.decode(json);
  if (E.isLeft(r)) {
    const first = r.left[0];
    const path =
      first?.context
        .map((c) => c.key)
        .filter(Boolean)
        .join(".") ?? "";
    return {
      ok: false,
      error: `not a QueuedCommand: ${path || "(root)"} got ${JSON.stringify(first?.value)}`,
    };
  }
  const cmd = r.right;
  if (cmd.command.type === "ListSku" && cmd.command.skuId !== cmd.skuId)
    return { ok: false, error: `ListSku for ${cmd.command.skuId} queued as SKU ${cmd.skuId}` };
  return { ok: true, item: { queued: cmd, position: Number(m.offset) } };
};

/**
 * The command handler (role `command-handler`): consumes the command topic in a consumer group, one
 * partition per SKU, and for each batch: poison messages to the dead-letter topic; the rest grouped by
 * SKU and decided in chunks against the cached state (rebuilt from the stream on first use and whenever
 * an append finds the stream moved); outcomes published after the append; offsets committed last. A
 * crash anywhere before the commit redelivers the batch, which `decideChunk` recognises by queue
 * position and answers with the recorded outcomes.
 */
export const startCommandHandler = async (deps: HandlerDeps): Promise<RunningHandler> => {
  const cache = new Map<string, SkuEntry>();
  const maxChunk = deps.maxChunk ?? 250;
  const dlqProducer: Producer = deps.kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await dlqProducer.connect();
  const consumer: Consumer = deps.kafka.consumer({
    groupId: deps.groupId,
    // New partitions (new SKUs) must be noticed quickly: metadata is refreshed every few seconds.
    metadataMaxAge: 3000,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    rebalanceTimeout: 20_000,
    maxWaitTimeInMs: 20,
    retry: { retries: 10 },
  });
  await consumer.connect();
  await consumer.subscribe({ topic: deps.topics.commands, fromBeginning: true });

  const entryFor = async (skuId: string): Promise<SkuEntry> => {
    const hit = cache.get(skuId);
    if (hit !== undefined) return hit;
    const r = await loadSku(deps.store, skuId);
    if (E.isLeft(r)) throw new Error(`cannot load SKU ${skuId}: ${r.left._tag} ${JSON.stringify(r.left)}`);
    cache.set(skuId, r.right);
    deps.scheduler.arm(skuId, nextHoldDeadline(r.right.state));
    return r.right;
  };

  const decideSku = async (
    skuId: string,
    items: ReadonlyArray<QueuedItem>,
    heartbeat: () => Promise<void>,
  ) => {
    for (let from = 0; from < items.length; from += maxChunk) {
      const chunk = items.slice(from, from + maxChunk);
      for (let attempt = 0; ; attempt++) {
        const entry = await entryFor(skuId);
        const started = performance.now();
        const r = await decideChunk(deps, entry, chunk);
        if (E.isLeft(r)) {
          if (r.left._tag === "WrongExpectedRevision" && attempt < MAX_CONFLICT_RETRIES) {
            // Another writer moved the stream (a second handler, a rebalance): fence, reload, re-decide.
            deps.metrics.conflicts.inc();
            deps.logger.warn(
              { skuId, expected: r.left.expected, actual: r.left.actual },
              "append conflict, reloading",
            );
            cache.delete(skuId);
            continue;
          }
          cache.delete(skuId);
          throw new Error(`append to SKU ${skuId} failed: ${JSON.stringify(r.left)}`);
        }
        cache.set(skuId, r.right.entry);
        await deps.publish(r.right.replies);
        deps.scheduler.arm(skuId, nextHoldDeadline(r.right.entry.state));
        deps.metrics.commands.inc(chunk.length);
        deps.metrics.events.inc(r.right.appended);
        deps.metrics.chunkSeconds.observe((performance.now() - started) / 1000);
        break;
      }
      await heartbeat();
    }
  };

  const eachBatch = async ({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    isRunning,
    isStale,
  }: EachBatchPayload) => {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const bySku = new Map<string, QueuedItem[]>();
    const poison: Array<{ message: KafkaMessage; error: string }> = [];
    for (const m of batch.messages) {
      const d = decodeMessage(m);
      if (!d.ok) {
        poison.push({ message: m, error: d.error });
        continue;
      }
      const list = bySku.get(d.item.queued.skuId);
      if (list === undefined) bySku.set(d.item.queued.skuId, [d.item]);
      else list.push(d.item);
    }
    if (poison.length > 0) {
      await dlqProducer.send({
        topic: deps.topics.deadLetters,
        acks: -1,
        messages: poison.map(({ message, error }) => ({
          key: message.key,
          value: message.value,
          headers: {
            "holdfast-error": error,
            "holdfast-source-topic": batch.topic,
            "holdfast-source-partition": String(batch.partition),
            "holdfast-source-offset": message.offset,
          },
        })),
      });
      deps.metrics.deadLetters.inc(poison.length);
      deps.logger.warn(
        { partition: batch.partition, count: poison.length, first: poison[0]?.error },
        "dead-lettered",
      );
    }
    for (const [skuId, items] of bySku) await decideSku(skuId, items, heartbeat);
    resolveOffset(batch.lastOffset());
    await commitOffsetsIfNecessary();
  };

  await consumer.run({
    // Offsets are committed only for batches fully decided, appended and published (resolveOffset is
    // called last), but at most every 100 ms: a commit round trip per batch would lengthen every cycle.
    // A crash redelivers at most that much, which the queue-position check answers from the log.
    autoCommit: true,
    autoCommitInterval: 100,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: deps.concurrency ?? 4,
    eachBatch,
  });
  consumer.on(consumer.events.GROUP_JOIN, (e) =>
    deps.logger.info({ assignment: e.payload.memberAssignment }, "command handler joined the group"),
  );

  return {
    cachedSkus: () => cache.size,
    stop: async () => {
      deps.scheduler.stop();
      await consumer.disconnect();
      await dlqProducer.disconnect();
    },
  };
};
