import type { Admin, ConsumerConfig } from "kafkajs";
import type { Logger } from "../observability/logger.ts";

/**
 * Consumer-group timings chosen for fast failover of a serialized writer (the command handler).
 *
 * - sessionTimeout 2,000 ms: after a handler is SIGKILLed nobody tells the coordinator; it notices only
 *   when the session expires, and only then hands the partitions to another (or the restarted) member.
 *   The bound is "decisions again within 3 s", so the session must be shorter than that. A
 *   spurious expiry (a GC pause, a 2-core machine under load) costs a rebalance, never correctness:
 *   appends are fenced by expected revision. Brokers refuse sessions below their
 *   `group.min.session.timeout.ms` (6,000 by default), so the broker's minimum wins when it is higher
 *   (holdfast's own stack and compose lower it to 1,000); see `failoverTimings`.
 * - heartbeatInterval = session / 5: five heartbeats per session, so two lost ones do not expire it.
 * - rebalanceTimeout 5,000 ms: how long the coordinator waits for members to rejoin. The handler never
 *   blocks inside `eachBatch` (decisions run beside the fetch loop), so it rejoins in milliseconds; a
 *   long timeout would only delay every rebalance by a dead member that has not timed out yet.
 * - retry: short steps (100 ms doubling to 1 s, 5 tries) so a client waiting for a broker polls often;
 *   once they are spent the consumer crashes and the supervisor rebuilds it (supervised-consumer.ts),
 *   which also keeps retrying every ≤ 1 s until the broker is back: decisions resume within a few
 *   seconds of the broker being healthy instead of after kafkajs's default 30 s retry ceiling.
 * - metadataMaxAge 3,000 ms: a new SKU's partition is noticed within seconds.
 */
export const FAST_FAILOVER_SESSION_MS = 2000;

const BROKER_RESOURCE = 4;

export const failoverConsumerConfig = (
  groupId: string,
  sessionTimeout: number,
): ConsumerConfig & { readonly sessionTimeout: number; readonly rebalanceTimeout: number } => ({
  groupId,
  sessionTimeout,
  heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 5)),
  rebalanceTimeout: Math.max(5000, sessionTimeout),
  metadataMaxAge: 3000,
  maxWaitTimeInMs: 20,
  retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 5 },
});

/**
 * The session timeout to ask for: `FAST_FAILOVER_SESSION_MS`, raised to the broker's
 * `group.min.session.timeout.ms` when the broker allows no shorter session (asking for less would make
 * every join fail). Falls back to 6,000 (Kafka's default minimum) when the broker cannot be asked.
 */
export const failoverSessionTimeout = async (admin: Admin, logger: Logger): Promise<number> => {
  try {
    const cluster = await admin.describeCluster();
    const broker = cluster.brokers[0];
    if (broker === undefined) return 6000;
    const r = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        {
          // ConfigResourceTypes.BROKER (kafkajs's ESM entry does not export the enum).
          type: BROKER_RESOURCE,
          name: String(broker.nodeId),
          configNames: ["group.min.session.timeout.ms"],
        },
      ],
    });
    const value = r.resources[0]?.configEntries.find((e) => e.configName === "group.min.session.timeout.ms");
    const min = Number(value?.configValue ?? "6000");
    const session = Math.max(FAST_FAILOVER_SESSION_MS, Number.isFinite(min) ? min : 6000);
    if (session > FAST_FAILOVER_SESSION_MS)
      logger.warn(
        { brokerMinSessionMs: min, sessionTimeout: session },
        "broker's group.min.session.timeout.ms is above the fast-failover session; failover takes longer",
      );
    return session;
  } catch (e) {
    logger.warn({ err: e }, "could not read the broker's minimum session timeout; assuming 6000 ms");
    return 6000;
  }
};
