import * as E from "fp-ts/lib/Either.js";
import type { EventStore, GlobalPosition, Subscription } from "../../infra/event-store/port.ts";
import type { Logger } from "../../infra/observability/logger.ts";
import { applyRecorded, DEFAULT_RETRY, type RetryPolicy } from "./apply.ts";
import type { ProjectionMetrics } from "./metrics.ts";
import type { Projection } from "./projection.ts";
import type { ProjectorStatus, StatusSink } from "./status.ts";

export interface RunProjectorDeps {
  readonly store: EventStore;
  readonly projection: Projection;
  readonly logger: Logger;
  readonly metrics: ProjectionMetrics;
  readonly status: StatusSink;
  readonly batchSize?: number;
  readonly retry?: RetryPolicy;
  /** Called after every applied batch with its last position (tests and read-your-writes waiters). */
  readonly onApplied?: (position: GlobalPosition) => void;
}

export interface RunningProjector {
  readonly name: string;
  status(): ProjectorStatus;
  stop(): Promise<void>;
}

/** Event lag is counted up to this many ("at least" beyond). */
export const LAG_CAP = 10_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Run one projection live: read its checkpoint, subscribe to the global feed after it, apply batches
 * (see `applyRecorded`), publish status and lag. A poison event parks the projector (state "parked",
 * the event named in the status, metric `holdfast_projection_parked` = 1) until it is restarted. When a
 * rebuild swaps in a new generation, the projector reloads the generation and its checkpoint and goes on.
 */
export const runProjector = (deps: RunProjectorDeps): RunningProjector => {
  const { projection, store, logger, metrics } = deps;
  const name = projection.name;
  const log = logger.child({ projection: name });
  const retry = deps.retry ?? DEFAULT_RETRY;
  let sub: Subscription | null = null;
  let stopped = false;
  let halted = false;
  let lastHeadCheck = 0;
  let lastOccurredAt: string | null = null;
  // Between batches (caught up, or stalled) the lag is refreshed on a timer too, so the metric never
  // freezes at the value seen during the last batch.
  const lagTimer = setInterval(() => {
    if (!stopped && !halted) void refreshLag(lastOccurredAt, true).catch(() => {});
  }, 2000);
  lagTimer.unref();
  let current: ProjectorStatus = {
    name,
    state: "starting",
    generation: null,
    checkpoint: null,
    head: null,
    lagEvents: null,
    updatedAt: new Date().toISOString(),
    lastError: null,
    parkedAt: null,
  };
  const setStatus = (patch: Partial<ProjectorStatus>) => {
    current = { ...current, ...patch, updatedAt: new Date().toISOString() };
    deps.status.publish(current).catch((e: unknown) => log.warn({ err: e }, "could not publish status"));
  };

  // Lag: positions are not event counts (the PostgreSQL store's are transaction ids scaled), so the
  // event lag is counted by reading at most LAG_CAP events after the checkpoint, and only when the head
  // is ahead of it; lag in seconds is the age of the last applied event while behind.
  const refreshLag = async (lastOccurredAt: string | null, force: boolean) => {
    const now = Date.now();
    if (!force && now - lastHeadCheck < 1000) return;
    lastHeadCheck = now;
    const head = await store.headPosition()();
    if (E.isLeft(head)) return;
    const cp = current.checkpoint === null ? null : BigInt(current.checkpoint);
    let lag = 0;
    if (head.right !== null && (cp === null || head.right > cp)) {
      const ahead = await store.readAll(cp, LAG_CAP)();
      lag = E.isRight(ahead) ? ahead.right.length : LAG_CAP;
    }
    metrics.lagEvents.set({ projection: name }, lag);
    metrics.lagSeconds.set(
      { projection: name },
      lag > 0 && lastOccurredAt !== null ? Math.max(0, (now - Date.parse(lastOccurredAt)) / 1000) : 0,
    );
    setStatus({ head: head.right === null ? null : head.right.toString(), lagEvents: lag });
  };

  const start = async (): Promise<void> => {
    for (let attemptNo = 0; !stopped; attemptNo += 1) {
      const gen = await projection.generation()();
      const cp = E.isRight(gen) ? await projection.readCheckpoint()() : gen;
      if (E.isRight(gen) && E.isRight(cp)) {
        halted = false;
        setStatus({
          state: "running",
          generation: gen.right,
          checkpoint: cp.right?.toString() ?? null,
          lastError: null,
        });
        metrics.parked.set({ projection: name }, 0);
        log.info({ generation: gen.right, checkpoint: cp.right?.toString() ?? null }, "projector started");
        const s = store.subscribe({ after: cp.right, batchSize: deps.batchSize ?? 500 }, onBatch);
        sub = s;
        s.done.catch((e: unknown) => {
          if (stopped || sub !== s) return;
          log.error({ err: e }, "subscription failed; restarting");
          setStatus({ state: "retrying", lastError: String(e) });
          void restart(1000);
        });
        void refreshLag(null, true);
        return;
      }
      const err = E.isLeft(gen) ? gen.left : E.isLeft(cp) ? cp.left : null;
      setStatus({ state: "retrying", lastError: JSON.stringify(err) });
      await sleep(Math.min(5000, 100 * 2 ** attemptNo));
    }
  };

  const restart = async (delayMs: number) => {
    halted = true;
    const s = sub;
    sub = null;
    if (s !== null) await s.stop().catch(() => {});
    if (delayMs > 0) await sleep(delayMs);
    if (!stopped) await start();
  };

  const onBatch = async (recorded: Parameters<Parameters<EventStore["subscribe"]>[1]>[0]) => {
    if (halted || stopped || recorded.length === 0) return;
    const outcome = await applyRecorded(projection, recorded, retry, (e, n) => {
      metrics.failures.inc({ projection: name });
      log.warn({ error: e, attempt: n }, "apply failed");
      setStatus({ state: "retrying", lastError: e._tag === "ProjectionFailed" ? e.message : e._tag });
    });
    switch (outcome._tag) {
      case "Applied": {
        const last = recorded[recorded.length - 1]!;
        metrics.applied.inc({ projection: name }, outcome.count);
        metrics.checkpoint.set({ projection: name }, Number(last.position));
        setStatus({ state: "running", checkpoint: last.position.toString(), lastError: null });
        deps.onApplied?.(last.position);
        lastOccurredAt = last.envelope.occurredAt;
        await refreshLag(last.envelope.occurredAt, false);
        return;
      }
      case "Superseded":
        log.info({ generation: outcome.generation }, "generation swapped; reloading");
        halted = true;
        void restart(0);
        return;
      case "Parked": {
        halted = true;
        const e = outcome.event;
        const idx = recorded.indexOf(e);
        const before = idx > 0 ? recorded[idx - 1] : undefined;
        if (before !== undefined && outcome.applied > 0)
          setStatus({ checkpoint: before.position.toString() });
        log.error(
          { position: e.position.toString(), eventId: e.envelope.eventId, reason: outcome.reason },
          "parked",
        );
        metrics.parked.set({ projection: name }, 1);
        setStatus({
          state: "parked",
          lastError: outcome.reason,
          parkedAt: {
            position: e.position.toString(),
            eventId: e.envelope.eventId,
            streamId: e.envelope.streamId,
            revision: e.envelope.revision,
            type: e.envelope.type,
          },
        });
        const s = sub;
        sub = null;
        if (s !== null) void s.stop().catch(() => {});
        return;
      }
      default: {
        const never: never = outcome;
        throw new Error(`unexpected outcome ${JSON.stringify(never)}`);
      }
    }
  };

  void start();
  return {
    name,
    status: () => current,
    stop: async () => {
      stopped = true;
      clearInterval(lagTimer);
      halted = true;
      const s = sub;
      sub = null;
      if (s !== null) await s.stop().catch(() => {});
      setStatus({ state: current.state === "parked" ? "parked" : "stopped" });
    },
  };
};
