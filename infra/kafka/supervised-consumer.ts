import type { Consumer, ConsumerConfig, Kafka } from "kafkajs";
import type { Counter, Gauge, Registry } from "prom-client";
import { sharedCounter, sharedGauge } from "../observability/metrics.ts";
import type { Logger } from "../observability/logger.ts";

/**
 * A kafkajs consumer that survives whatever the broker does. kafkajs restarts a crashed consumer by
 * itself only after a *retriable* error; after a non-retriable one ("Failed to find group coordinator"
 * after a broker restart, a generation error after a coordinator move) it stays dead and nothing else
 * notices. Here every crash (`consumer.events.CRASH`) takes ONE path: the dead consumer is dropped, a new
 * one is built from the same config, connected, subscribed and run again (`bind`), with capped
 * exponential backoff and jitter, logged as JSON and counted in `holdfast_kafka_consumer_restarts_total`.
 * The new consumer resumes from the group's last committed offsets, like any new group member.
 *
 * kafkajs's own restart is switched off (`retry.restartOnFailure` answers false), so there is never a
 * second, invisible restart path. A watchdog also rebuilds a consumer that stays out of its group (no
 * GROUP_JOIN) for `joinTimeoutMs`: a consumer can hang in a join loop without ever crashing.
 *
 * @example
 *   const sup = await superviseConsumer({
 *     name: "command-handler", kafka, logger, registry,
 *     config: { groupId, sessionTimeout: 6000 },
 *     bind: async (c) => {
 *       await c.subscribe({ topic, fromBeginning: true });
 *       await c.run({ eachBatch });
 *     },
 *     onLost: () => dropFetchedButUndecided(),
 *   });
 */
export interface SupervisorState {
  readonly phase: "running" | "rebuilding" | "stopped";
  /** Since when the consumer has been in this phase (ms since the epoch). */
  readonly since: number;
  /** Whether the current consumer is a member of its group with an assignment (GROUP_JOIN seen). */
  readonly joined: boolean;
  /** Partitions of each topic assigned to this member at its last join. */
  readonly assignment: Readonly<Record<string, ReadonlyArray<number>>>;
  readonly joinedAt: number | null;
  /** Last time the consumer sent a fetch request (it is polling). */
  readonly lastFetchAt: number | null;
  readonly restarts: number;
  readonly lastError: string | null;
}

export interface SupervisedConsumer {
  /** The live consumer, `null` while it is being rebuilt. */
  current(): Consumer | null;
  state(): SupervisorState;
  /** Leave the group at once (partitions go to the other members) and stop supervising. */
  stop(): Promise<void>;
}

export interface SuperviseOptions {
  /** Label of the metrics and logs (`command-handler`, `subscribe`). */
  readonly name: string;
  readonly kafka: Kafka;
  readonly config: ConsumerConfig;
  readonly logger: Logger;
  readonly registry?: Registry;
  /** Subscribe and `run` a fresh consumer (called once per consumer built). */
  readonly bind: (consumer: Consumer) => Promise<void>;
  /** The consumer crashed: forget what it fetched but did not finish (it will be fetched again). */
  readonly onLost?: () => void;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly joinTimeoutMs?: number;
}

interface SupervisorMetrics {
  readonly restarts: Counter;
  readonly up: Gauge;
}

const metricsOf = (registry: Registry | undefined): SupervisorMetrics | null => {
  if (registry === undefined) return null;
  const restarts = sharedCounter(registry, {
    name: "holdfast_kafka_consumer_restarts_total",
    help: "Kafka consumers rebuilt by the supervisor after a crash or a stalled join",
    labelNames: ["consumer", "reason"],
  });
  const up = sharedGauge(registry, {
    name: "holdfast_kafka_consumer_up",
    help: "1 while the supervised consumer is a member of its group, 0 while it is rebuilt or joining",
    labelNames: ["consumer"],
  });
  return { restarts, up };
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const describe = (e: unknown): string =>
  e instanceof Error ? `${e.name}: ${e.message}` : typeof e === "string" ? e : JSON.stringify(e);

export const superviseConsumer = async (opts: SuperviseOptions): Promise<SupervisedConsumer> => {
  const log = opts.logger.child({ consumer: opts.name });
  const metrics = metricsOf(opts.registry);
  // Small steps: while the broker is down a rebuild is one refused connection, and once it is back
  // the next attempt must come soon (decisions resume within seconds of the broker being healthy).
  const backoff = opts.backoff ?? { initialMs: 200, maxMs: 1000 };
  const joinTimeoutMs = opts.joinTimeoutMs ?? 20_000;
  let consumer: Consumer | null = null;
  let generation = 0;
  let stopped = false;
  let rebuilding: Promise<void> | null = null;
  // The generation that crashed last: a consumer can crash inside `run()` while it is being built
  // (e.g. "The coordinator is loading" right after a broker restart), which must count as a failed build.
  let crashedGeneration = -1;
  let state: SupervisorState = {
    phase: "rebuilding",
    since: Date.now(),
    joined: false,
    assignment: {},
    joinedAt: null,
    lastFetchAt: null,
    restarts: 0,
    lastError: null,
  };
  const patch = (p: Partial<SupervisorState>) => {
    state = { ...state, ...p };
    metrics?.up.set({ consumer: opts.name }, state.phase === "running" && state.joined ? 1 : 0);
  };

  const build = async (): Promise<void> => {
    const mine = ++generation;
    const c = opts.kafka.consumer({
      ...opts.config,
      retry: { ...opts.config.retry, restartOnFailure: async () => false },
    });
    const current = () => mine === generation && !stopped;
    c.on(c.events.CRASH, (e) => {
      if (!current()) return;
      crashedGeneration = mine;
      const error = describe(e.payload.error);
      patch({ lastError: error });
      log.error({ error, groupId: e.payload.groupId }, "kafka consumer crashed; rebuilding");
      void rebuild("crash", error);
    });
    c.on(c.events.GROUP_JOIN, (e) => {
      if (!current()) return;
      patch({ joined: true, joinedAt: Date.now(), assignment: e.payload.memberAssignment });
      log.info({ assignment: e.payload.memberAssignment, groupId: e.payload.groupId }, "consumer joined");
    });
    c.on(c.events.REBALANCING, () => {
      if (current()) patch({ joined: false });
    });
    c.on(c.events.FETCH_START, () => {
      if (current()) state = { ...state, lastFetchAt: Date.now() };
    });
    consumer = c;
    try {
      await c.connect();
      await opts.bind(c);
    } catch (e) {
      if (consumer === c) consumer = null;
      await c.disconnect().catch(() => undefined);
      throw e;
    }
    patch({ phase: "running", since: Date.now(), lastError: state.lastError });
  };

  const rebuild = (reason: string, error: string): Promise<void> => {
    if (stopped) return Promise.resolve();
    rebuilding ??= (async () => {
      opts.onLost?.();
      patch({ phase: "rebuilding", since: Date.now(), joined: false, assignment: {}, lastError: error });
      const old = consumer;
      consumer = null;
      generation++;
      await old?.disconnect().catch(() => undefined);
      for (let attempt = 0; !stopped; attempt++) {
        const cap = Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt);
        await sleep(cap / 2 + Math.random() * (cap / 2));
        if (stopped) return;
        try {
          await build();
          if (crashedGeneration === generation) throw new Error(`crashed while starting: ${state.lastError}`);
          metrics?.restarts.inc({ consumer: opts.name, reason });
          patch({ restarts: state.restarts + 1 });
          log.warn({ attempt: attempt + 1, reason, after: error }, "kafka consumer rebuilt");
          return;
        } catch (e) {
          const dead = consumer as Consumer | null;
          consumer = null;
          await dead?.disconnect().catch(() => undefined);
          patch({ phase: "rebuilding", joined: false, lastError: describe(e) });
          log.warn(
            { attempt: attempt + 1, error: describe(e) },
            "kafka consumer rebuild failed; backing off",
          );
        }
      }
    })().finally(() => {
      rebuilding = null;
      // Crashed between a successful build and here: its CRASH found this rebuild still running.
      if (crashedGeneration === generation && !stopped) void rebuild("crash", state.lastError ?? "crash");
    });
    return rebuilding;
  };

  const watchdog = setInterval(() => {
    if (stopped || rebuilding !== null || state.phase !== "running" || state.joined) return;
    const since = Math.max(state.since, state.joinedAt ?? 0);
    if (Date.now() - since > joinTimeoutMs)
      void rebuild("join-timeout", `not a group member for ${Math.round((Date.now() - since) / 1000)} s`);
  }, 1000);
  watchdog.unref();

  await build();
  return {
    current: () => consumer,
    state: () => state,
    stop: async () => {
      stopped = true;
      clearInterval(watchdog);
      await rebuilding;
      const c = consumer;
      consumer = null;
      patch({ phase: "stopped", since: Date.now(), joined: false });
      // disconnect() sends LeaveGroup: the coordinator rebalances at once instead of waiting for the
      // session to time out.
      await c?.disconnect();
    },
  };
};
