import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import {
  type Admin,
  type IHeaders,
  type Kafka,
  Partitioners,
  type Producer,
  type RecordMetadata,
} from "kafkajs";
import { QueuedCommand } from "../../event-schemas/index.ts";
import { traceHeaders } from "../observability/kafka-trace.ts";
import type { Logger } from "../observability/logger.ts";
import type { PartitionRegistry } from "./partitions.ts";
import type { CommandQueue, QueueError, QueuePosition } from "./port.ts";
import { type CommandTopics, ensurePartition } from "./topics.ts";
import { messageOf } from "../errors/message-of.ts";

interface Pending {
  readonly partition: number;
  readonly key: string;
  readonly value: string;
  readonly headers: IHeaders;
  readonly resolve: (p: QueuePosition) => void;
  readonly reject: (e: unknown) => void;
}

/** A Kafka command queue, with `stop()` for the composition root. */
export interface KafkaCommandQueue extends CommandQueue {
  stop(): Promise<void>;
}

const MISSING_PARTITION_RETRIES = 40;
const MAX_BATCH = 1000;

const queueUnavailable = (e: unknown): QueueError => ({
  _tag: "QueueUnavailable",
  message: messageOf(e),
});

/**
 * The command queue on Kafka: each command goes to its SKU's own partition (explicit partition, key =
 * skuId) through the idempotent producer with acks from all in-sync replicas.
 *
 * Batching: at most one produce request is in flight; commands enqueued meanwhile accumulate and go out
 * together in the next one. Under load that is a linger equal to one broker round trip, with no timer
 * when idle. Offsets are read back per partition (`baseOffset` + index), since a partition's messages in
 * one request are written contiguously and in order.
 *
 * A partition added moments ago may be missing from the producer's metadata, in which case kafkajs
 * silently skips its messages: such messages are detected (no offset came back) and sent again once the
 * metadata has refreshed.
 */
export const makeKafkaCommandQueue = async (deps: {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly registry: PartitionRegistry;
  readonly topics: CommandTopics;
  readonly logger: Logger;
}): Promise<KafkaCommandQueue> => {
  const producer: Producer = deps.kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    metadataMaxAge: 1000,
    allowAutoTopicCreation: false,
    // Every message names its partition; the partitioner is never consulted.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const topic = deps.topics.commands;
  let buffer: Pending[] = [];
  let inFlight = false;
  let stopped = false;

  const send = async (batch: Pending[], attempt: number): Promise<void> => {
    const meta: RecordMetadata[] = await producer.send({
      topic,
      acks: -1,
      messages: batch.map((p) => ({
        key: p.key,
        value: p.value,
        partition: p.partition,
        headers: p.headers,
      })),
    });
    const base = new Map<number, bigint>();
    for (const m of meta) if (m.baseOffset !== undefined) base.set(m.partition, BigInt(m.baseOffset));
    const nextIndex = new Map<number, bigint>();
    const missing: Pending[] = [];
    for (const p of batch) {
      const b = base.get(p.partition);
      if (b === undefined) {
        missing.push(p);
        continue;
      }
      const i = nextIndex.get(p.partition) ?? 0n;
      nextIndex.set(p.partition, i + 1n);
      p.resolve({ partition: p.partition, offset: (b + i).toString() });
    }
    if (missing.length === 0) return;
    if (attempt >= MISSING_PARTITION_RETRIES) {
      for (const p of missing)
        p.reject(new Error(`partition ${p.partition} of ${topic} is unknown to the producer`));
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
    await send(missing, attempt + 1);
  };

  const flush = (): void => {
    if (inFlight || buffer.length === 0) return;
    // At most MAX_BATCH commands per produce request: a partition's messages form one record batch, which
    // the broker refuses above `message.max.bytes` (1 MiB by default; a command is ~0.4 KiB).
    const batch = buffer.length <= MAX_BATCH ? buffer : buffer.slice(0, MAX_BATCH);
    buffer = batch === buffer ? [] : buffer.slice(MAX_BATCH);
    inFlight = true;
    send(batch, 0)
      .catch((e: unknown) => {
        deps.logger.error({ err: e, commands: batch.length }, "command produce failed");
        for (const p of batch) p.reject(e);
      })
      .finally(() => {
        inFlight = false;
        flush();
      });
  };

  const produce = (partition: number, cmd: QueuedCommand): Promise<QueuePosition> =>
    new Promise((resolve, reject) => {
      buffer.push({
        partition,
        key: cmd.skuId,
        value: JSON.stringify(QueuedCommand.encode(cmd)),
        // The command's trace (W3C traceparent, carried as its correlationId) for the handler's spans.
        headers: traceHeaders(cmd.correlationId),
        resolve,
        reject,
      });
      if (!inFlight) queueMicrotask(flush);
    });

  const producedAs = (partition: number, cmd: QueuedCommand): Promise<E.Either<QueueError, QueuePosition>> =>
    produce(partition, cmd).then(E.right, (e: unknown) => E.left(queueUnavailable(e)));

  const partitionFor = async (cmd: QueuedCommand): Promise<E.Either<QueueError, number>> => {
    const found =
      cmd.command.type === "ListSku"
        ? await deps.registry.assign(cmd.skuId)()
        : await deps.registry.partitionOf(cmd.skuId)();
    if (E.isLeft(found)) return E.left({ _tag: "QueueUnavailable", message: found.left.message });
    if (found.right === null) return E.left({ _tag: "UnknownSkuPartition", skuId: cmd.skuId });
    if (cmd.command.type === "ListSku") {
      const partition = found.right;
      const grown = await TE.tryCatch(
        () => ensurePartition(deps.admin, topic, partition),
        queueUnavailable,
      )();
      if (E.isLeft(grown)) return grown;
    }
    return E.right(found.right);
  };

  return {
    enqueue: (cmd) => () => {
      if (stopped)
        return Promise.resolve(E.left({ _tag: "QueueUnavailable", message: "the command queue is stopped" }));
      // The common case, a command for a SKU whose partition this process knows: no registry round,
      // straight to the batch (a listing still goes through `assign` and `ensurePartition`).
      const known = cmd.command.type === "ListSku" ? undefined : deps.registry.known(cmd.skuId);
      if (known !== undefined) return producedAs(known, cmd);
      return partitionFor(cmd).then((p) => (E.isLeft(p) ? p : producedAs(p.right, cmd)));
    },
    stop: async () => {
      stopped = true;
      while (inFlight || buffer.length > 0) await new Promise((r) => setTimeout(r, 10));
      await producer.disconnect();
    },
  };
};
