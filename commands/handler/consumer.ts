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
import { describeDecodeErrors, QueuedCommand } from "../../event-schemas/index.ts";
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
/** Commands fetched ahead of the decisions, per partition, before fetching pauses. */
const MAX_BACKLOG = 5000;

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
    return { ok: false, error: `not a QueuedCommand: ${describeDecodeErrors(r.left, 1)}` };
  }
  const cmd = r.right;
  if (cmd.command.type === "ListSku" && cmd.command.skuId !== cmd.skuId)
    return { ok: false, error: `ListSku for ${cmd.command.skuId} queued as SKU ${cmd.skuId}` };
  return { ok: true, item: { queued: cmd, position: Number(m.offset) } };
};

/**
 * The command handler (role `command-handler`): consumes the command topic in a consumer group, one
 * partition per SKU. Poison messages go to the dead-letter topic as they are fetched; commands queue per
 * partition and are decided in chunks against the cached state (rebuilt from the stream on first use
 * and whenever an append finds the stream moved); outcomes are published after the append; offsets are
 * committed last. A crash anywhere before the commit redelivers the commands, which `decideChunk`
 * recognises by queue position and answers with the recorded outcomes.
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

  /** Decide one chunk of one SKU, reloading and re-deciding when another writer moved the stream. */
  const decideSkuChunk = async (skuId: string, chunk: ReadonlyArray<QueuedItem>) => {
    for (let attempt = 0; ; attempt++) {
      const entry = await entryFor(skuId);
      const started = performance.now();
      const r = await decideChunk(deps, entry, chunk);
      if (E.isLeft(r)) {
        cache.delete(skuId);
        if (r.left._tag === "WrongExpectedRevision" && attempt < MAX_CONFLICT_RETRIES) {
          // Another writer moved the stream (a second handler, a rebalance): fence, reload, re-decide.
          deps.metrics.conflicts.inc();
          deps.logger.warn(
            { skuId, expected: r.left.expected, actual: r.left.actual },
            "append conflict, reloading",
          );
          continue;
        }
        throw new Error(`append to SKU ${skuId} failed: ${JSON.stringify(r.left)}`);
      }
      cache.set(skuId, r.right.entry);
      await deps.publish(r.right.replies);
      deps.scheduler.arm(skuId, nextHoldDeadline(r.right.entry.state));
      deps.metrics.commands.inc(chunk.length);
      deps.metrics.events.inc(r.right.appended);
      deps.metrics.chunkSeconds.observe((performance.now() - started) / 1000);
      return;
    }
  };

  /**
   * Per partition: commands fetched but not yet decided, and the offset up to which everything fetched
   * has been decided, appended and published (what may be committed). Fetching and deciding overlap:
   * while one chunk is appended, the next fetch is already under way, and whatever arrived meanwhile
   * is the next chunk (batches grow with the load, with no timer).
   */
  interface Lane {
    readonly partition: number;
    queue: QueuedItem[];
    /** Last offset fetched (commands and poison alike). */
    fetched: number;
    /** Last offset whose effects are complete; committed as `done + 1`. */
    done: number;
    committed: number;
    worker: Promise<void> | null;
  }
  const lanes = new Map<number, Lane>();
  let stopping = false;

  const work = async (lane: Lane): Promise<void> => {
    while (lane.queue.length > 0 && !stopping) {
      const head = lane.queue[0]!;
      // One SKU per partition by construction; take the head's SKU run (at most maxChunk commands).
      let n = 0;
      while (n < lane.queue.length && n < maxChunk && lane.queue[n]!.queued.skuId === head.queued.skuId) n++;
      const chunk = lane.queue.slice(0, n);
      try {
        await decideSkuChunk(head.queued.skuId, chunk);
      } catch (e) {
        deps.logger.error({ err: e, partition: lane.partition }, "chunk failed; retrying");
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (lane.queue[0] !== head) continue; // the lane was reset by a rebalance meanwhile
      lane.queue.splice(0, n);
      lane.done = lane.queue.length === 0 ? lane.fetched : chunk[chunk.length - 1]!.position;
    }
  };
  const kick = (lane: Lane): Promise<void> => {
    lane.worker ??= work(lane).finally(() => {
      lane.worker = null;
      if (lane.queue.length > 0 && !stopping) void kick(lane);
    });
    return lane.worker;
  };

  const commitDone = async () => {
    const offsets = [...lanes.values()]
      .filter((l) => l.done > l.committed)
      .map((l) => ({
        topic: deps.topics.commands,
        partition: l.partition,
        offset: String(l.done + 1),
        done: l.done,
      }));
    if (offsets.length === 0) return;
    try {
      await consumer.commitOffsets(offsets.map(({ done: _d, ...o }) => o));
      for (const o of offsets) {
        const lane = lanes.get(o.partition);
        if (lane !== undefined) lane.committed = Math.max(lane.committed, o.done);
      }
    } catch (e) {
      // A rebalance took the partition: its new owner resumes from the last commit and re-answers.
      deps.logger.warn({ err: e }, "offset commit failed");
    }
  };
  // Commits trail the decisions by at most this long: a crash redelivers that much, which the
  // queue-position check answers from the log without deciding again.
  const commitTimer = setInterval(() => void commitDone(), 100);

  const eachBatch = async ({ batch, resolveOffset, heartbeat }: EachBatchPayload) => {
    if (stopping || batch.messages.length === 0) return;
    const items: QueuedItem[] = [];
    const poison: Array<{ message: KafkaMessage; error: string }> = [];
    for (const m of batch.messages) {
      const d = decodeMessage(m);
      if (d.ok) items.push(d.item);
      else poison.push({ message: m, error: d.error });
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
    let lane = lanes.get(batch.partition);
    if (lane === undefined) {
      lane = { partition: batch.partition, queue: [], fetched: -1, done: -1, committed: -1, worker: null };
      lanes.set(batch.partition, lane);
    }
    lane.queue.push(...items);
    lane.fetched = Number(batch.lastOffset());
    if (lane.queue.length === 0 && lane.worker === null) lane.done = lane.fetched;
    // Advance the fetch position now; the commit follows the decisions (see commitDone).
    resolveOffset(batch.lastOffset());
    void kick(lane);
    // Back-pressure: do not fetch far ahead of the decisions.
    while (lane.queue.length > MAX_BACKLOG && !stopping) {
      await new Promise((r) => setTimeout(r, 50));
      await heartbeat();
    }
  };

  consumer.on(consumer.events.REBALANCING, () => {
    // Fetched but undecided commands will be fetched again from the last commit by whoever owns them.
    // What was decided but not committed is given up too: re-answered from the log if redelivered.
    for (const lane of lanes.values()) {
      lane.queue = [];
      lane.committed = Math.max(lane.committed, lane.done);
    }
  });

  await consumer.run({
    autoCommit: false,
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
      stopping = true;
      clearInterval(commitTimer);
      deps.scheduler.stop();
      await Promise.all([...lanes.values()].map((l) => l.worker ?? Promise.resolve()));
      await commitDone();
      await consumer.disconnect();
      await dlqProducer.disconnect();
    },
  };
};
