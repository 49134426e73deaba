import * as E from "fp-ts/lib/Either.js";
import type { Attempt, AttemptsError, AttemptsStore } from "./attempts-store.ts";
import type { CommandQueue, QueueError } from "../../infra/command-queue/port.ts";
import { outcomeCommand, type PaymentOutcome } from "./outcome.ts";

/** An operator's verdict on an unresolved payment, after checking with the payment provider. */
export type Resolution =
  | { readonly _tag: "Succeeded"; readonly paymentId: string }
  | { readonly _tag: "Failed"; readonly reason: string };

export type ResolveError =
  | AttemptsError
  | { readonly _tag: "UnknownOrder"; readonly orderId: string }
  | { readonly _tag: "AlreadySettled"; readonly orderId: string; readonly state: string }
  | { readonly _tag: "EnqueueFailed"; readonly orderId: string; readonly cause: QueueError };

/** Orders whose payment outcome is unknown (units still held), oldest first. */
export const listUnresolved = (attempts: AttemptsStore) => attempts.listByState("unresolved");

/**
 * `holdfast payments resolve`: enqueue the command that settles an unresolved order, then note it in the
 * attempts table (the saga also notes it when the outcome event reaches the feed). The request id is
 * derived from the order, so running the same resolution twice records it once. Only unresolved orders
 * (or orders still being charged, with `force`) can be resolved: a settled payment is never overwritten.
 */
export const resolvePayment = async (
  deps: { readonly attempts: AttemptsStore; readonly sink: CommandQueue; readonly clock?: () => Date },
  orderId: string,
  resolution: Resolution,
  opts: { readonly force?: boolean } = {},
): Promise<E.Either<ResolveError, Attempt>> => {
  const found = await deps.attempts.get(orderId)();
  if (E.isLeft(found)) return found;
  const row = found.right;
  if (row === null) return E.left({ _tag: "UnknownOrder", orderId });
  const allowed = row.state === "unresolved" || (opts.force === true && row.state === "charging");
  if (!allowed) return E.left({ _tag: "AlreadySettled", orderId, state: row.state });
  const outcome: PaymentOutcome = resolution;
  const command = outcomeCommand(
    { orderId, skuId: row.skuId, correlationId: orderId, causationId: orderId },
    outcome,
    "operator",
    (deps.clock ?? (() => new Date()))(),
  );
  const sent = await deps.sink.enqueue(command)();
  if (E.isLeft(sent)) return E.left({ _tag: "EnqueueFailed", orderId, cause: sent.left });
  const state = resolution._tag === "Succeeded" ? "succeeded" : "failed";
  const detail =
    resolution._tag === "Succeeded" ? { paymentId: resolution.paymentId } : { reason: resolution.reason };
  const noted = await deps.attempts.settle(orderId, state, detail, "operator")();
  if (E.isLeft(noted)) return noted;
  const after = await deps.attempts.get(orderId)();
  if (E.isLeft(after)) return after;
  return after.right === null ? E.left({ _tag: "UnknownOrder", orderId }) : E.right(after.right);
};
