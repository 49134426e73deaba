import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import type { OutcomeStoreError } from "../../infra/redis/outcomes.ts";
import { type EachBatchPayload, type Kafka, type KafkaMessage, Partitioners, type Producer } from "kafkajs";
import { nextHoldDeadline } from "../../domain/sku/index.ts";
import { describeDecodeErrors, QueuedCommand } from "../../event-schemas/index.ts";
import type { EventStore } from "../../infra/event-store/port.ts";
import { failoverConsumerConfig, failoverSessionTimeout } from "../../infra/kafka/failover.ts";
import { type SupervisedConsumer, superviseConsumer } from "../../infra/kafka/supervised-consumer.ts";
import type { Logger } from "../../infra/observability/logger.ts";
import type { Registry } from "../../infra/observability/metrics.ts";
import { isHotQueuedCommand } from "../queue/queued-command-check.ts";
import type { CommandTopics } from "../../infra/command-queue/topics.ts";
import {
  appendChunk,
  type ChunkDeps,
  type ChunkError,
  type ChunkResult,
  PREVIOUS_APPEND_FAILED,
  type PreparedChunk,
  type PreviousAppendFailed,
  prepareChunk,
  type QueuedItem,
  type Reply,
} from "./decide-chunk.ts";
import type { ExpiryScheduler } from "./expiry-scheduler.ts";
import { loadSku, type SkuEntry } from "./sku-cache.ts";
import type { HandlerMetrics } from "./metrics.ts";
import type { HandlerObservability } from "./observability.ts";
import { traceparentOfHeaders } from "../../infra/observability/kafka-trace.ts";
import { PARK_AFTER_ATTEMPTS, type ParkingLot, retryDelayMs, SkuFailure } from "./parked-skus.ts";
import { handlerProgressCheck } from "./progress.ts";
import { makeOutcomePublisher } from "./publisher.ts";
import { edgeViewOf } from "./edge-view.ts";
import type { EdgeView } from "../../infra/redis/edge-availability.ts";
import { messageOf } from "../../infra/errors/message-of.ts";

export interface HandlerDeps extends ChunkDeps {
  readonly kafka: Kafka;
  readonly topics: CommandTopics;
  readonly groupId: string;
  readonly store: EventStore;
  /** Outcomes, and the SKU's figures after the append (for the edge's sold-out check), in one round trip. */
  readonly publish: (
    replies: ReadonlyArray<Reply>,
    view: EdgeView | null,
  ) => TE.TaskEither<OutcomeStoreError, void>;
  readonly scheduler: ExpiryScheduler;
  readonly logger: Logger;
  readonly metrics: HandlerMetrics;
  /** Queue lag/age, units, reservations, invariant checks, spans and per-command log lines. */
  readonly observability?: HandlerObservability;
  /** Most commands of one SKU decided and appended together (default 500: chunks grow with the load). */
  readonly maxChunk?: number;
  /**
   * Chunks of one SKU decided and sent to the store before the oldest of them is acknowledged
   * (default 3): the next chunk is decided while the ones before it are written.
   */
  readonly pipelineDepth?: number;
  /** Partitions (SKUs) decided concurrently (default 4). */
  readonly concurrency?: number;
  /** Consumer session timeout (default: the fast-failover one the broker allows, infra/kafka/failover.ts). */
  readonly sessionTimeout?: number;
  /** Where the consumer supervisor registers its metrics. */
  readonly registry?: Registry;
  /** Stuck SKUs (parked-skus.ts); without one a failing SKU is retried with backoff forever. */
  readonly parking?: ParkingLot;
  /** Not ready after this long with work and no progress (progress.ts). */
  readonly stallMs?: number;
}

export interface RunningHandler {
  stop(): Promise<void>;
  /** Readiness from the consumer's progress (progress.ts): `null` when deciding, else why not. */
  readonly progress: () => Promise<string | null>;
}

const MAX_CONFLICT_RETRIES = 10;

/** A chunk decided and on its way to the store. */
interface InFlight {
  readonly skuId: string;
  readonly chunk: ReadonlyArray<QueuedItem>;
  /** The lane's queue when the chunk was taken (a rebalance replaces it). */
  readonly queue: ReadonlyArray<QueuedItem>;
  readonly started: number;
  /** The SKU as this chunk leaves it once appended: what the next chunk is decided against. */
  readonly entry: SkuEntry;
  readonly written: Promise<E.Either<ChunkError | PreviousAppendFailed, ChunkResult>>;
  /** `written`, as whether it succeeded: what the chunk decided after this one waits on. */
  readonly succeeded: Promise<boolean>;
  /** Whether `written` has settled (the answer came back). */
  readonly isWritten: () => boolean;
}
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
    return { ok: false, error: `not JSON: ${messageOf(e)}` };
  }
  let cmd: QueuedCommand;
  if (isHotQueuedCommand(json)) cmd = json;
  else {
    const r = QueuedCommand.decode(json);
    if (E.isLeft(r)) return { ok: false, error: `not a QueuedCommand: ${describeDecodeErrors(r.left, 1)}` };
    cmd = r.right;
  }
  if (cmd.command.type === "ListSku" && cmd.command.skuId !== cmd.skuId)
    return { ok: false, error: `ListSku for ${cmd.command.skuId} queued as SKU ${cmd.skuId}` };
  return {
    ok: true,
    item: { queued: cmd, position: Number(m.offset), traceparent: traceparentOfHeaders(m.headers) },
  };
};

/** The fast-failover session the broker allows (infra/kafka/failover.ts). */
const sessionTimeoutOf = async (kafka: Kafka, logger: Logger): Promise<number> => {
  const admin = kafka.admin();
  try {
    await admin.connect();
    return await failoverSessionTimeout(admin, logger);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
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
  const maxChunk = deps.maxChunk ?? 500;
  const pipelineDepth = Math.max(1, deps.pipelineDepth ?? 3);
  const publisher = makeOutcomePublisher(deps.publish, deps.logger);
  const dlqProducer: Producer = deps.kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await dlqProducer.connect();
  // Timings for fast failover, and why: infra/kafka/failover.ts.
  const consumerConfig = failoverConsumerConfig(
    deps.groupId,
    deps.sessionTimeout ?? (await sessionTimeoutOf(deps.kafka, deps.logger)),
  );
  let supervisor: SupervisedConsumer | null = null;
  let lastProgressAt = Date.now();

  const entryFor = async (skuId: string): Promise<SkuEntry> => {
    const hit = cache.get(skuId);
    if (hit !== undefined) return hit;
    const r = await loadSku(deps.store, skuId);
    if (E.isLeft(r)) throw new SkuFailure(skuId, "load", r.left._tag, JSON.stringify(r.left));
    cache.set(skuId, r.right);
    deps.scheduler.arm(skuId, nextHoldDeadline(r.right.state));
    return r.right;
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
    /** Consecutive failed attempts of the head chunk (backoff, then parking). */
    failures?: number;
    /** The partition's high watermark at the last fetch, and its SKU (for the queue gauges). */
    highWatermark?: number;
    skuId?: string;
  }
  const lanes = new Map<number, Lane>();
  let stopping = false;

  /** The run of one SKU's commands at `offset` in the lane's queue (at most maxChunk), or null. */
  const chunkAt = (lane: Lane, offset: number): { skuId: string; chunk: QueuedItem[] } | null => {
    const head = lane.queue[offset];
    if (head === undefined) return null;
    let n = offset;
    while (
      n < lane.queue.length &&
      n - offset < maxChunk &&
      lane.queue[n]!.queued.skuId === head.queued.skuId
    )
      n++;
    return { skuId: head.queued.skuId, chunk: lane.queue.slice(offset, n) };
  };

  /**
   * Decide `chunk` against `entry`, then send its append at once (see `appendChunk`: fenced by its
   * expected revision, it is written only after `previous`, the chunk before it, has been). Resolves
   * when decided, with the append under way in `written`; Left when it could not be decided.
   */
  const launch = async (
    lane: Lane,
    skuId: string,
    chunk: ReadonlyArray<QueuedItem>,
    entry: SkuEntry,
    previous: Promise<boolean>,
  ): Promise<E.Either<ChunkError, InFlight>> => {
    const started = performance.now();
    const queue = lane.queue;
    let decided: (
      p: { readonly prepared: E.Either<ChunkError, PreparedChunk> } | { readonly thrown: unknown },
    ) => void = () => undefined;
    const decision = new Promise<Parameters<typeof decided>[0]>((r) => {
      decided = r;
    });
    const run = async (): Promise<E.Either<ChunkError | PreviousAppendFailed, ChunkResult>> => {
      let prepared: E.Either<ChunkError, PreparedChunk>;
      try {
        prepared = await prepareChunk(deps, entry, chunk);
      } catch (e) {
        decided({ thrown: e });
        throw e;
      }
      decided({ prepared });
      if (E.isLeft(prepared)) return prepared;
      // A rebalance reset the lane while this chunk was decided: its commands are someone else's now.
      if (lane.queue !== queue) return E.left(PREVIOUS_APPEND_FAILED);
      return appendChunk(deps, prepared.right, previous);
    };
    const written = deps.observability?.traced(skuId, chunk, run) ?? run();
    written.catch(() => undefined); // a throw is reported through `decision` (before) or the await (after)
    const d = await decision;
    if ("thrown" in d) throw d.thrown;
    if (E.isLeft(d.prepared)) return d.prepared;
    let isWritten = false;
    const succeeded = written.then(
      (r) => {
        isWritten = true;
        return E.isRight(r);
      },
      () => {
        isWritten = true;
        return false;
      },
    );
    return E.right({
      skuId,
      chunk,
      queue,
      started,
      entry: d.prepared.right.entry,
      written,
      succeeded,
      isWritten: () => isWritten,
    });
  };

  /** After a chunk's append: cache, publish (in the background, in order), re-arm expiries, observe. */
  const settled = (f: InFlight, r: ChunkResult): Promise<boolean> => {
    cache.set(f.skuId, r.entry);
    const published = publisher.publish(r.replies, r.appended > 0 ? edgeViewOf(r.entry) : null);
    deps.scheduler.arm(f.skuId, nextHoldDeadline(r.entry.state));
    deps.observability?.chunkDecided(f.skuId, r.entry.state, f.chunk);
    deps.metrics.chunkSeconds.observe((performance.now() - f.started) / 1000);
    deps.metrics.chunkCommands.observe(f.chunk.length);
    return published;
  };

  /** The chunk after the pipeline's last one, if it may be decided ahead now; null otherwise. */
  const nextAhead = (lane: Lane, pipeline: ReadonlyArray<InFlight>) => {
    const last = pipeline[pipeline.length - 1];
    if (stopping || last === undefined || pipeline.length >= pipelineDepth) return null;
    // The oldest is written: settle it first (its answers go out before more deciding).
    if (pipeline[0]!.isWritten()) return null;
    let offset = 0;
    for (const f of pipeline) offset += f.chunk.length;
    const next = chunkAt(lane, offset);
    if (next === null || next.skuId !== last.skuId || deps.parking?.isParked(next.skuId) === true)
      return null;
    return { ...next, after: last };
  };

  /**
   * One lane's decisions, pipelined: while chunk k's append is in flight, chunk k+1 is decided against
   * the state chunk k leaves, and its append is sent at once, on another connection, expecting the tip
   * k leaves (up to `pipelineDepth` chunks decided and unacknowledged). The store's expected-revision
   * check keeps the stream in queue order: k+1 is written only after k. Chunks are settled in order, one
   * at a time: outcomes are published only for a written chunk and only after the chunks before it, and
   * `done` (what may be committed) follows publication. If k's append is refused (another writer moved
   * the stream) or fails, every chunk after it is waited for (it cannot have been written unless k was)
   * and dropped with the cached SKU, which is reloaded; their commands are decided again, and any that
   * reached the stream are recognised by queue position.
   */
  const work = async (lane: Lane): Promise<void> => {
    let previous: Promise<unknown> = Promise.resolve();
    const pipeline: InFlight[] = [];
    let conflicts = 0;
    const failed = async (skuId: string, e: unknown): Promise<boolean> => {
      conflicts = 0;
      if (await parkOrWait(lane, skuId, e)) {
        await previous;
        pausePartition(lane);
        return true;
      }
      return false;
    };
    /** Wait for every append still in flight (any may commit), then forget them and the cached SKU. */
    const dropAhead = async (skuId: string): Promise<void> => {
      for (const f of pipeline) await f.written.catch(() => undefined);
      pipeline.length = 0;
      cache.delete(skuId);
    };
    for (;;) {
      if (pipeline.length === 0) {
        const next = stopping ? null : chunkAt(lane, 0);
        if (next === null) break;
        if (deps.parking?.isParked(next.skuId) === true) {
          await previous;
          return pausePartition(lane);
        }
        try {
          const entry = await entryFor(next.skuId);
          const r = await launch(lane, next.skuId, next.chunk, entry, Promise.resolve(true));
          if (E.isLeft(r)) {
            cache.delete(next.skuId);
            throw new SkuFailure(next.skuId, "append", r.left._tag, JSON.stringify(r.left));
          }
          pipeline.push(r.right);
        } catch (e) {
          if (await failed(next.skuId, e)) return;
          continue;
        }
      }
      // Decide ahead while the oldest chunk is being written; let its answer in between decisions.
      for (;;) {
        await new Promise((r) => setImmediate(r));
        const ahead = nextAhead(lane, pipeline);
        if (ahead === null) break;
        const r = await launch(
          lane,
          ahead.skuId,
          ahead.chunk,
          ahead.after.entry,
          ahead.after.succeeded,
        ).catch(() => null);
        // Not decided (a recorded outcome unreadable, a bug): decided again once the chunks before settle.
        if (r === null || E.isLeft(r)) break;
        pipeline.push(r.right);
      }
      const current = pipeline.shift()!;
      const r = await current.written.catch((e: unknown) => E.left<unknown, never>(e));
      if (E.isLeft(r)) {
        await dropAhead(current.skuId);
        // A Left is a tagged error; a thrown value (a bug in an adapter) is retried as it is.
        const tagged = typeof r.left === "object" && r.left !== null && "_tag" in r.left;
        const error = r.left as ChunkError | PreviousAppendFailed;
        if (tagged && error._tag === "WrongExpectedRevision" && conflicts < MAX_CONFLICT_RETRIES) {
          // Another writer moved the stream (a second handler, a rebalance): fence, reload, re-decide.
          conflicts += 1;
          deps.metrics.conflicts.inc();
          deps.logger.warn(
            { skuId: current.skuId, expected: error.expected, actual: error.actual },
            "append conflict, reloading",
          );
          continue;
        }
        if (tagged && error._tag === "PreviousAppendFailed") continue; // the lane was reset meanwhile
        const e = !tagged
          ? r.left
          : error._tag === "WrongExpectedRevision"
            ? new Error(`append to SKU ${current.skuId} failed: ${JSON.stringify(error)}`)
            : new SkuFailure(current.skuId, "append", error._tag, JSON.stringify(error));
        if (await failed(current.skuId, e)) return;
        continue;
      }
      conflicts = 0;
      lane.failures = 0;
      const published = settled(current, r.right);
      if (lane.queue !== current.queue) {
        // The lane was reset by a rebalance meanwhile: the chunks decided ahead put their decisions
        // into the cached SKU's outcome memory (and may have been written): drop the SKU.
        if (pipeline.length > 0) await dropAhead(current.skuId);
        continue;
      }
      lane.queue.splice(0, current.chunk.length);
      const doneAt =
        lane.queue.length === 0 ? lane.fetched : current.chunk[current.chunk.length - 1]!.position;
      await previous;
      previous = published.then((ok) => {
        if (ok) lane.done = Math.max(lane.done, doneAt);
      });
    }
    await previous;
  };
  const kick = (lane: Lane): Promise<void> => {
    lane.worker ??= work(lane).finally(() => {
      lane.worker = null;
      const sku = lane.queue[0]?.queued.skuId;
      if (sku !== undefined && !stopping && deps.parking?.isParked(sku) !== true) void kick(lane);
    });
    return lane.worker;
  };

  /**
   * After a failed chunk: wait (capped exponential backoff), or park the SKU when its failure is its own
   * (parked-skus.ts). Resolves true when parked. Outages (store unreachable, Redis down) are never parked.
   */
  const parkOrWait = async (lane: Lane, skuId: string, e: unknown): Promise<boolean> => {
    const attempts = (lane.failures ?? 0) + 1;
    lane.failures = attempts;
    const own =
      e instanceof SkuFailure &&
      (e.tag !== "StoreUnavailable" || (deps.parking !== undefined && (await deps.parking.storeAnswers())));
    deps.logger.error({ err: e, skuId, partition: lane.partition, attempts, own }, "chunk failed; retrying");
    if (own && deps.parking !== undefined && attempts >= PARK_AFTER_ATTEMPTS) {
      await deps.parking.park({ skuId, partition: lane.partition, reason: String(e), attempts });
      lane.failures = 0;
      return true;
    }
    await new Promise((r) => setTimeout(r, retryDelayMs(attempts - 1, own ? 5000 : 1000)));
    return false;
  };
  const pausePartition = (lane: Lane): void => {
    supervisor?.current()?.pause([{ topic: deps.topics.commands, partitions: [lane.partition] }]);
  };
  const parkedPartitions = () =>
    new Set(
      [...lanes.values()]
        .filter((l) => l.queue[0] !== undefined && deps.parking?.isParked(l.queue[0].queued.skuId) === true)
        .map((l) => l.partition),
    );
  const resumeTimer = setInterval(() => {
    void deps.parking
      ?.refresh()
      .then((resumed) => {
        for (const lane of lanes.values()) {
          const sku = lane.queue[0]?.queued.skuId;
          if (sku === undefined || !resumed.includes(sku)) continue;
          supervisor?.current()?.resume([{ topic: deps.topics.commands, partitions: [lane.partition] }]);
          void kick(lane);
        }
      })
      .catch(() => undefined);
  }, 1000);

  const commitDone = async () => {
    const offsets = [...lanes.values()]
      .filter((l) => l.done > l.committed)
      .map((l) => ({
        topic: deps.topics.commands,
        partition: l.partition,
        offset: String(l.done + 1),
        done: l.done,
      }));
    const consumer = supervisor?.current();
    if (offsets.length === 0) {
      // Nothing owed while the consumer is polling: progress is up to date.
      const fetchedAt = supervisor?.state().lastFetchAt ?? 0;
      if (Date.now() - fetchedAt < 2000 && [...lanes.values()].every((l) => l.queue.length === 0))
        lastProgressAt = Date.now();
      return;
    }
    if (consumer == null) return;
    try {
      await consumer.commitOffsets(offsets.map(({ done: _d, ...o }) => o));
      lastProgressAt = Date.now();
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
    lane.highWatermark = Number(batch.highWatermark);
    lane.skuId = items[0]?.queued.skuId ?? lane.skuId;
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

  const forgetFetched = () => {
    // Fetched but undecided commands will be fetched again from the last commit by whoever owns them.
    // What was decided but not committed is given up too: re-answered from the log if redelivered.
    for (const lane of lanes.values()) {
      lane.queue = [];
      lane.committed = Math.max(lane.committed, lane.done);
    }
  };

  deps.observability?.backlogFrom(() =>
    [...lanes.values()].map((l) => ({
      skuId: l.skuId ?? null,
      lag: l.highWatermark === undefined ? 0 : l.highWatermark - 1 - l.done,
      oldestIssuedAt: l.queue[0]?.queued.issuedAt ?? null,
    })),
  );
  // Supervised: a crash (any error, retriable or not) rebuilds the consumer, which resumes from the
  // group's last commit; see infra/kafka/supervised-consumer.ts.
  supervisor = await superviseConsumer({
    name: "command-handler",
    kafka: deps.kafka,
    config: consumerConfig,
    logger: deps.logger,
    ...(deps.registry === undefined ? {} : { registry: deps.registry }),
    onLost: forgetFetched,
    // A member still outside its group after a full rebalance plus a session is stuck: rebuild it.
    joinTimeoutMs: consumerConfig.rebalanceTimeout + consumerConfig.sessionTimeout + 1000,
    bind: async (consumer) => {
      consumer.on(consumer.events.REBALANCING, forgetFetched);
      await consumer.subscribe({ topic: deps.topics.commands, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: deps.concurrency ?? 4,
        eachBatch,
      });
    },
  });

  return {
    progress: handlerProgressCheck({
      kafka: deps.kafka,
      groupId: deps.groupId,
      topic: deps.topics.commands,
      consumer: () => supervisor,
      lastProgressAt: () => lastProgressAt,
      parkedPartitions,
      ...(deps.stallMs === undefined ? {} : { stallMs: deps.stallMs }),
    }),
    stop: async () => {
      stopping = true;
      clearInterval(commitTimer);
      clearInterval(resumeTimer);
      publisher.stop();
      deps.scheduler.stop();
      await Promise.all([...lanes.values()].map((l) => l.worker ?? Promise.resolve()));
      await commitDone();
      // Leaves the group at once: the partitions move to another handler without a session timeout.
      await supervisor?.stop();
      await dlqProducer.disconnect();
    },
  };
};
