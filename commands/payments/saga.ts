import { setMaxListeners } from "node:events";
import * as E from "fp-ts/lib/Either.js";
import { type DecodedEvent, decodeEvent, skuIdOf } from "../../event-schemas/index.ts";
import type {
  EventStore,
  GlobalPosition,
  RecordedEvent,
  Subscription,
} from "../../infra/event-store/port.ts";
import type { Logger } from "../../infra/observability/logger.ts";
import type { AttemptsStore, LogSettlement } from "./attempts-store.ts";
import type { CommandQueue } from "../../infra/command-queue/port.ts";
import type { PaymentGateway } from "./gateway-port.ts";
import type { OrderToPay, PaymentOutcome } from "./outcome.ts";
import { backoffMs, type RandomSource } from "../../infra/retry/backoff.ts";
import type { SagaPolicy } from "./policy.ts";
import { makeProgress } from "./progress.ts";
import { SagaStopped, settleOrder } from "./settle-order.ts";
import { tracedSettlement } from "./traced.ts";
import type { Tracing } from "../../infra/observability/tracing.ts";
import { makeSlots } from "./slots.ts";

export interface PaymentSagaDeps {
  readonly store: EventStore;
  readonly gateway: PaymentGateway;
  readonly attempts: AttemptsStore;
  readonly sink: CommandQueue;
  readonly policy: SagaPolicy;
  readonly logger: Logger;
  readonly clock?: () => Date;
  readonly random?: RandomSource;
  /** Checkpoint name (default `payments`): two sagas with different names keep separate checkpoints. */
  readonly name?: string;
  readonly batchSize?: number;
  readonly onOutcome?: (order: OrderToPay, outcome: PaymentOutcome) => void;
  readonly onCall?: (call: "charge" | "status", result: string) => void;
  /** A `payment` span per order (OTLP export when configured). */
  readonly tracing?: Tracing;
}

/** A running saga. `stop()` abandons orders in flight (they stay before the checkpoint) and saves it. */
export interface RunningPaymentSaga {
  stop(): Promise<void>;
  /** The position the saga would resume after. */
  checkpoint(): GlobalPosition | null;
  inFlight(): number;
  /** Rejects if the subscription failed for good. */
  readonly done: Promise<void>;
}

const abortableSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(new SagaStopped());
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new SagaStopped());
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });

const orderOf = (recorded: RecordedEvent, decoded: DecodedEvent): OrderToPay | null => {
  if (decoded.event.type !== "OrderPlaced") return null;
  const skuId = skuIdOf(decoded.envelope.streamId);
  if (skuId === undefined) return null;
  const d = decoded.event.data;
  return {
    orderId: d.orderId,
    skuId,
    amountCents: d.amountCents,
    currency: d.currency,
    paymentToken: d.paymentToken,
    position: recorded.position,
    eventId: decoded.envelope.eventId,
    correlationId: decoded.envelope.correlationId,
  };
};

/**
 * The payment saga: follows the global feed from its checkpoint and settles each OrderPlaced.
 *
 * Orders are settled concurrently, at most `policy.concurrency` at once; when every slot is busy the
 * batch handler waits, which holds back the subscription (backpressure) rather than buffering without
 * bound. The checkpoint is a low-water mark (`progress.ts`): it never passes an order whose outcome has
 * not been enqueued, so a crash at any point replays that order, and the attempts table plus the
 * gateway's idempotency key (the order id) make the replay charge nothing twice.
 */
export const startPaymentSaga = async (deps: PaymentSagaDeps): Promise<RunningPaymentSaga> => {
  const name = deps.name ?? "payments";
  const clock = deps.clock ?? (() => new Date());
  const random = deps.random ?? Math.random;
  const log = deps.logger.child({ role: "payments" });
  const schema = await deps.attempts.ensureSchema()();
  if (E.isLeft(schema)) throw new Error(`payment saga: cannot prepare its tables: ${schema.left.message}`);
  const start = await deps.attempts.loadCheckpoint(name)();
  if (E.isLeft(start)) throw new Error(`payment saga: cannot read its checkpoint: ${start.left.message}`);

  const progress = makeProgress(start.right);
  const controller = new AbortController();
  const { signal } = controller;
  // Every in-flight order listens for the stop signal; thousands of listeners are expected.
  setMaxListeners(0, signal);
  const slots = makeSlots(deps.policy.concurrency);
  const tasks = new Set<Promise<void>>();
  let saved = start.right;
  let dirty = false;
  let saving: Promise<void> | null = null;

  // Coalesced saves: at most one in flight; requests meanwhile fold into one more save. Nobody waits for
  // them (the feed must not queue behind checkpoint writes); a failed save is retried by the next one.
  const saveLoop = async () => {
    while (dirty) {
      dirty = false;
      const safe = progress.safe();
      if (safe === null || (saved !== null && safe <= saved)) continue;
      const r = await deps.attempts.saveCheckpoint(name, safe)();
      if (E.isRight(r)) saved = safe;
      else log.warn({ err: r.left }, "payment saga: checkpoint not saved (will retry)");
    }
  };
  const saveCheckpoint = (): Promise<void> => {
    dirty = true;
    saving ??= saveLoop().finally(() => {
      saving = null;
      // A request that arrived after the loop's last check but before this line: run once more.
      if (dirty) void saveCheckpoint();
    });
    return saving;
  };

  const settleDeps = {
    gateway: deps.gateway,
    attempts: deps.attempts,
    sink: deps.sink,
    policy: deps.policy,
    clock,
    random,
    sleep: abortableSleep,
    logger: log,
    ...(deps.onCall === undefined ? {} : { onCall: deps.onCall }),
  };

  const launch = (order: OrderToPay) => {
    progress.begin(order.position);
    const task = tracedSettlement(deps.tracing, order, () => settleOrder(settleDeps, order, signal)).then(
      (outcome) => {
        progress.done(order.position);
        deps.onOutcome?.(order, outcome);
      },
      (e: unknown) => {
        if (e instanceof SagaStopped) return;
        // A bug: leave the order pending (the checkpoint stays before it) and make it loud.
        log.error({ err: e, orderId: order.orderId }, "payment saga: settling an order failed");
      },
    );
    const tracked = task.finally(() => {
      slots.release();
      tasks.delete(tracked);
      void saveCheckpoint();
    });
    tasks.add(tracked);
  };

  const onBatch = async (events: ReadonlyArray<RecordedEvent>) => {
    const decoded = events.map((recorded) => ({ recorded, decoded: decodeEvent(recorded.envelope) }));
    // First pass: outcomes already in the log. The log is the truth, so the attempts table (what
    // `payments unresolved` lists) follows it whoever recorded the outcome (the saga, or an operator's
    // `payments resolve`). One statement per batch, written before any position of the batch can reach
    // the checkpoint; and before this batch's orders start, so a replayed order settled meanwhile is skipped.
    // Keyed by order, the later event wins (an operator's resolution after the saga's "unresolved").
    const settledInLog = new Map<string, LogSettlement>();
    for (const { decoded: d } of decoded) {
      if (E.isLeft(d)) continue;
      const ev = d.right.event;
      if (ev.type === "PaymentSucceeded")
        settledInLog.set(ev.data.orderId, {
          orderId: ev.data.orderId,
          state: "succeeded",
          paymentId: ev.data.paymentId,
        });
      else if (ev.type === "PaymentFailed")
        settledInLog.set(ev.data.orderId, {
          orderId: ev.data.orderId,
          state: "failed",
          reason: ev.data.reason,
        });
      else if (ev.type === "PaymentUnresolved")
        settledInLog.set(ev.data.orderId, {
          orderId: ev.data.orderId,
          state: "unresolved",
          reason: ev.data.reason,
        });
    }
    // Retried until it passes (the batch is never skipped); a stop abandons the batch, which the
    // checkpoint has not passed, so it is read again after the restart.
    for (let failures = 0; settledInLog.size > 0; failures++) {
      const r = await deps.attempts.settleFromLog([...settledInLog.values()])();
      if (E.isRight(r)) break;
      log.warn({ err: r.left }, "payment saga: attempts table unavailable, retrying");
      try {
        await abortableSleep(backoffMs(deps.policy, failures, random), signal);
      } catch {
        return;
      }
    }
    // Second pass: start the orders, in feed order, at most `concurrency` at once.
    for (const { recorded, decoded: d } of decoded) {
      if (signal.aborted) return;
      if (E.isLeft(d)) {
        log.error(
          { err: d.left, position: String(recorded.position) },
          "payment saga: undecodable event skipped",
        );
        progress.seen(recorded.position);
        continue;
      }
      const order = orderOf(recorded, d.right);
      if (order === null) {
        progress.seen(recorded.position);
        continue;
      }
      try {
        await slots.acquire(signal);
      } catch {
        return;
      }
      launch(order);
    }
    void saveCheckpoint();
  };

  const subscription: Subscription = deps.store.subscribe(
    { after: start.right, ...(deps.batchSize === undefined ? {} : { batchSize: deps.batchSize }) },
    onBatch,
  );
  log.info({ from: start.right === null ? null : String(start.right) }, "payment saga: started");

  return {
    async stop() {
      controller.abort();
      await subscription.stop();
      await Promise.allSettled([...tasks]);
      await saving;
      await saveCheckpoint();
    },
    checkpoint: () => progress.safe(),
    inFlight: () => tasks.size,
    done: subscription.done,
  };
};
