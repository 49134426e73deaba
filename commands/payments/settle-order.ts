import { absurd } from "fp-ts/lib/function.js";
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import type { Logger } from "../../infra/observability/logger.ts";
import type { Attempt, AttemptsStore } from "./attempts-store.ts";
import type { CommandQueue } from "../../infra/command-queue/port.ts";
import type { GatewayError, PaymentGateway, PaymentStatus } from "./gateway-port.ts";
import { type OrderToPay, outcomeCommand, type PaymentOutcome } from "./outcome.ts";
import { backoffMs, type RandomSource } from "../../infra/retry/backoff.ts";
import type { SagaPolicy } from "./policy.ts";

export interface SettleDeps {
  readonly gateway: PaymentGateway;
  readonly attempts: AttemptsStore;
  readonly sink: CommandQueue;
  readonly policy: SagaPolicy;
  readonly clock: () => Date;
  readonly random: RandomSource;
  /** Resolves after `ms`, rejects when `signal` aborts. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly logger: Logger;
  readonly onCall?: (call: "charge" | "status", result: string) => void;
}

/** Thrown (not a value) when the saga stops: the order is left unsettled and is retried after restart. */
export class SagaStopped extends Error {
  constructor() {
    super("payment saga stopped");
    this.name = "SagaStopped";
  }
}

const raceAbort = <A>(p: Promise<A>, signal: AbortSignal): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    if (signal.aborted) return reject(new SagaStopped());
    const onAbort = () => reject(new SagaStopped());
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (a) => {
        signal.removeEventListener("abort", onAbort);
        resolve(a);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });

const describeError = (e: GatewayError): string => {
  switch (e._tag) {
    case "Declined":
      return `declined: ${e.reason}`;
    case "Timeout":
      return `timeout after ${e.afterMs} ms`;
    case "ServerError":
      return `gateway ${e.status}`;
    case "Unreachable":
      return `unreachable: ${e.message}`;
    case "Rejected":
      return `rejected ${e.status}: ${e.message}`;
    default: {
      const never: never = e;
      return String(never);
    }
  }
};

/**
 * Settle one order: charge it (idempotency key = order id), retry ambiguous failures with full-jitter
 * backoff, ask for the status after a failed round, and enqueue the outcome. Infrastructure failures of
 * our own (attempts table, command queue) are retried until they pass or the saga stops; only then is
 * the order counted as settled, so the checkpoint never moves past an order whose outcome was lost.
 */
export const settleOrder = async (
  deps: SettleDeps,
  order: OrderToPay,
  signal: AbortSignal,
): Promise<PaymentOutcome> => {
  const { policy, attempts } = deps;
  const log = deps.logger.child({ orderId: order.orderId });
  let infraFailures = 0;

  /** Our own dependencies must succeed eventually; back off while they do not. */
  const must = async <A>(label: string, te: TE.TaskEither<{ readonly _tag: string }, A>): Promise<A> => {
    for (;;) {
      const r = await raceAbort(te(), signal);
      if (E.isRight(r)) return r.right;
      log.warn({ err: r.left, label }, "payment saga: retrying after an infrastructure error");
      await deps.sleep(backoffMs(policy, infraFailures++, deps.random), signal);
    }
  };

  const row: Attempt = await must(
    "begin",
    attempts.begin({
      orderId: order.orderId,
      skuId: order.skuId,
      position: order.position,
      amountCents: order.amountCents,
      currency: order.currency,
      startedAt: deps.clock(),
    }),
  );
  if (row.recorded) return recordedOutcome(row);

  let outcome: PaymentOutcome;
  switch (row.state) {
    case "charging":
      outcome = await pay(deps, order, row, signal, must);
      await must(
        "decide",
        attempts.decide(
          order.orderId,
          outcome._tag === "Succeeded" ? "succeeded" : outcome._tag === "Failed" ? "failed" : "unresolved",
          outcome._tag === "Succeeded" ? { paymentId: outcome.paymentId } : { reason: outcome.reason },
        ),
      );
      break;
    case "succeeded":
    case "failed":
    case "unresolved":
      // Decided before a crash, not yet enqueued: send the same outcome again.
      outcome = recordedOutcome(row);
      break;
    default:
      return absurd(row.state);
  }
  await must(
    "enqueue",
    deps.sink.enqueue(
      outcomeCommand(
        {
          orderId: order.orderId,
          skuId: order.skuId,
          correlationId: order.correlationId,
          causationId: order.eventId,
        },
        outcome,
        "saga",
        deps.clock(),
      ),
    ),
  );
  await must("recorded", attempts.markRecorded(order.orderId));
  log.info({ outcome: outcome._tag }, "payment saga: order settled");
  return outcome;
};

const recordedOutcome = (row: Attempt): PaymentOutcome => {
  switch (row.state) {
    case "succeeded":
      return { _tag: "Succeeded", paymentId: row.paymentId ?? "unknown" };
    case "failed":
      return { _tag: "Failed", reason: row.reason ?? "payment failed" };
    case "unresolved":
    case "charging":
      return { _tag: "Unresolved", reason: row.reason ?? "payment outcome unknown" };
    default:
      return absurd(row.state);
  }
};

type Must = <A>(label: string, te: TE.TaskEither<{ readonly _tag: string }, A>) => Promise<A>;

/** The gateway conversation. Returns the outcome to record; never throws but for `SagaStopped`. */
const pay = async (
  deps: SettleDeps,
  order: OrderToPay,
  row: Attempt,
  signal: AbortSignal,
  must: Must,
): Promise<PaymentOutcome> => {
  const { policy, gateway, attempts } = deps;
  const deadline = row.startedAt.getTime() + policy.deadlineMs;
  const remaining = () => deadline - deps.clock().getTime();
  let lastError = row.lastError ?? "no answer from the gateway";
  // A row with attempts is a restart: a charge may have reached the gateway, so ask before charging.
  let askFirst = row.chargeAttempts > 0;
  let rounds = 0;

  /** Ask until an answer or the deadline (always at least once). */
  const askStatus = async (): Promise<PaymentStatus | null> => {
    for (let i = 0; ; i++) {
      const r = await raceAbort(gateway.status(order.orderId)(), signal);
      deps.onCall?.("status", E.isRight(r) ? r.right._tag : r.left._tag);
      await must(
        "count",
        attempts.countCall(order.orderId, "status", E.isLeft(r) ? describeError(r.left) : null),
      );
      if (E.isRight(r)) return r.right;
      lastError = `status query: ${describeError(r.left)}`;
      const delay = backoffMs(policy, i, deps.random);
      if (delay >= remaining()) return null;
      await deps.sleep(delay, signal);
    }
  };

  for (;;) {
    if (askFirst) {
      const status = await askStatus();
      if (status === null) return { _tag: "Unresolved", reason: `unknown at the deadline (${lastError})` };
      switch (status._tag) {
        case "Succeeded":
          return { _tag: "Succeeded", paymentId: status.paymentId };
        case "Declined":
          return { _tag: "Failed", reason: status.reason };
        case "NotFound":
          // Not charged. A hanging request could still be processed later, which is why the default
          // policy retries (same key, so that cannot charge twice) instead of failing at once.
          if (rounds > 0 && policy.whenNotCharged === "fail")
            return { _tag: "Failed", reason: `not charged after ${rounds} round(s): ${lastError}` };
          if (remaining() <= 0)
            return { _tag: "Unresolved", reason: `not charged by the deadline (${lastError})` };
          if (rounds > 0)
            await deps.sleep(
              Math.min(backoffMs(policy, policy.maxChargeAttempts + rounds, deps.random), remaining()),
              signal,
            );
          break;
        default:
          return absurd(status);
      }
    }
    for (let attempt = 0; attempt < policy.maxChargeAttempts && remaining() > 0; attempt++) {
      // Counted before the call: after a crash the row shows a charge may have been sent.
      await must("count", attempts.countCall(order.orderId, "charge", null));
      const r = await raceAbort(
        gateway.charge({
          key: order.orderId,
          amountCents: order.amountCents,
          currency: order.currency,
          paymentToken: order.paymentToken,
          reference: order.orderId,
        })(),
        signal,
      );
      deps.onCall?.("charge", E.isRight(r) ? r.right._tag : r.left._tag);
      if (E.isRight(r)) return { _tag: "Succeeded", paymentId: r.right.paymentId };
      const error = r.left;
      switch (error._tag) {
        case "Declined":
          return { _tag: "Failed", reason: error.reason };
        case "Rejected":
          // A 4xx we did not expect (e.g. the key reused with another body): a person must look.
          return { _tag: "Unresolved", reason: describeError(error) };
        case "Timeout":
        case "ServerError":
        case "Unreachable":
          lastError = describeError(error);
          await must("note", attempts.noteError(order.orderId, lastError));
          break;
        default:
          return absurd(error);
      }
      if (attempt + 1 < policy.maxChargeAttempts) {
        const delay = Math.min(backoffMs(policy, attempt, deps.random), Math.max(0, remaining()));
        await deps.sleep(delay, signal);
      }
    }
    rounds += 1;
    askFirst = true;
  }
};
