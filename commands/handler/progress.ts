import type { Kafka } from "kafkajs";
import type { SupervisedConsumer } from "../../infra/kafka/supervised-consumer.ts";

/** A handler that has work and makes no progress for this long is not ready. */
export const DEFAULT_STALL_MS = 10_000;

/**
 * The handler's readiness from its consumer's progress, not just from its connections: an orchestrator
 * must restart a handler that holds partitions with commands waiting and decides nothing. Not ready when
 * - the consumer has been crashed/rebuilding, or outside its group, for longer than `stallMs`; or
 * - a partition assigned to it (parked SKUs aside: those are the operator's) has commands beyond the
 *   group's committed offset and nothing was committed for `stallMs`.
 * Resolves to `null` when ready, else to a sentence naming why.
 */
export const handlerProgressCheck =
  (deps: {
    readonly kafka: Kafka;
    readonly groupId: string;
    readonly topic: string;
    readonly consumer: () => SupervisedConsumer | null;
    /** Last commit, or last moment the handler was fetching with nothing owed. */
    readonly lastProgressAt: () => number;
    readonly parkedPartitions: () => ReadonlySet<number>;
    readonly stallMs?: number;
  }) =>
  async (): Promise<string | null> => {
    const stallMs = deps.stallMs ?? DEFAULT_STALL_MS;
    const sup = deps.consumer();
    if (sup === null) return "the command consumer has not started";
    const s = sup.state();
    const now = Date.now();
    const secs = (ms: number) => Math.round(ms / 1000);
    if (s.phase !== "running")
      return now - s.since > stallMs
        ? `the command consumer has been ${s.phase} for ${secs(now - s.since)} s (last error: ${s.lastError ?? "none"})`
        : null;
    if (!s.joined) {
      const since = Math.max(s.since, s.joinedAt ?? 0);
      return now - since > stallMs
        ? `the command consumer has not been a member of group ${deps.groupId} for ${secs(now - since)} s`
        : null;
    }
    const parked = deps.parkedPartitions();
    const assigned = (s.assignment[deps.topic] ?? []).filter((p) => !parked.has(p));
    if (assigned.length === 0) return null;
    const idle = now - deps.lastProgressAt();
    if (idle <= stallMs) return null;
    const admin = deps.kafka.admin();
    try {
      await admin.connect();
      const [committed, ends] = await Promise.all([
        admin.fetchOffsets({ groupId: deps.groupId, topics: [deps.topic] }),
        admin.fetchTopicOffsets(deps.topic),
      ]);
      const done = new Map(
        (committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)] as const),
      );
      let waiting = 0;
      const stuck: number[] = [];
      for (const e of ends) {
        if (!assigned.includes(e.partition)) continue;
        const from = Math.max(done.get(e.partition) ?? -1, Number(e.low));
        const n = Number(e.high) - from;
        if (n > 0) {
          waiting += n;
          stuck.push(e.partition);
        }
      }
      return waiting === 0
        ? null
        : `${waiting} command(s) waiting on partition(s) ${stuck.join(",")} and no commit for ${secs(idle)} s`;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };
