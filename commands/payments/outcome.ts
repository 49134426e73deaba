import { absurd } from "fp-ts/lib/function.js";
import { v5 as uuidv5 } from "uuid";
import type { QueuedCommand } from "../../event-schemas/index.ts";
import { queuedCommand } from "../../infra/command-queue/queued-command.ts";

/** What the saga (or an operator) concluded about an order's payment. */
export type PaymentOutcome =
  | { readonly _tag: "Succeeded"; readonly paymentId: string }
  | { readonly _tag: "Failed"; readonly reason: string }
  | { readonly _tag: "Unresolved"; readonly reason: string };

/** The order as the saga needs it, from its OrderPlaced event. */
export interface OrderToPay {
  readonly orderId: string;
  readonly skuId: string;
  readonly amountCents: number;
  readonly currency: string;
  readonly paymentToken: string;
  readonly position: bigint;
  readonly eventId: string;
  readonly correlationId: string;
}

// Namespace for the saga's deterministic request ids (a fixed, random UUID).
const NAMESPACE = "5b1f3f8e-6f0c-4c39-9a55-2f4f5d0c7a11";

/**
 * The request id of the command that records an outcome. It depends only on the order and on who settles
 * it, so a command re-sent after a crash carries the same id and the serialized handler recognises it
 * (`RequestAlreadyDecided`) instead of recording twice. The operator's id differs from the saga's, so a
 * resolution is not mistaken for the saga's earlier "unresolved".
 */
export const outcomeRequestId = (orderId: string, by: "saga" | "saga-unresolved" | "operator"): string =>
  uuidv5(`payment-outcome:${by}:${orderId}`, NAMESPACE);

export const outcomeCommand = (
  order: {
    readonly orderId: string;
    readonly skuId: string;
    readonly correlationId: string;
    readonly causationId: string;
  },
  outcome: PaymentOutcome,
  by: "saga" | "operator",
  issuedAt: Date,
): QueuedCommand => {
  const command: QueuedCommand["command"] = (() => {
    switch (outcome._tag) {
      case "Succeeded":
        return {
          type: "RecordPaymentSucceeded",
          orderId: order.orderId,
          paymentId: outcome.paymentId,
        } as const;
      case "Failed":
        return { type: "RecordPaymentFailed", orderId: order.orderId, reason: outcome.reason } as const;
      case "Unresolved":
        return { type: "RecordPaymentUnresolved", orderId: order.orderId, reason: outcome.reason } as const;
      default:
        return absurd(outcome);
    }
  })() as QueuedCommand["command"];
  const requestBy =
    by === "operator" ? "operator" : outcome._tag === "Unresolved" ? "saga-unresolved" : "saga";
  return queuedCommand(order.skuId, command, {
    requestId: outcomeRequestId(order.orderId, requestBy),
    correlationId: order.correlationId,
    causationId: order.causationId,
    now: issuedAt,
  });
};
