import { absurd } from "fp-ts/lib/function.js";
import type { DomainError } from "../../domain/sku/index.ts";
import type {
  Outcome,
  RefusalReason,
  RejectionReason as RejectionReasonOfEvent,
  SkuEvent,
} from "../../event-schemas/index.ts";

/** What every outcome of one command shares. */
export interface OutcomeContext {
  readonly requestId: string;
  readonly skuId: string;
  readonly decidedAt: string;
}

type Ctx = OutcomeContext;

const refused = (
  ctx: Ctx,
  userId: string | null,
  revision: number | null,
  reason: RefusalReason,
  detail: string,
): Outcome =>
  // Written out rather than spread: one object shape for every outcome, built once per command.
  ({
    requestId: ctx.requestId,
    skuId: ctx.skuId,
    decidedAt: ctx.decidedAt,
    userId,
    revision,
    status: "refused",
    reason,
    detail,
  }) as Outcome;

const accepted = (ctx: Ctx, userId: string | null, revision: number, result: unknown): Outcome =>
  ({
    requestId: ctx.requestId,
    skuId: ctx.skuId,
    decidedAt: ctx.decidedAt,
    userId,
    revision,
    status: "accepted",
    result,
  }) as Outcome;

/**
 * The outcome a command's answering event records: the LAST event its decision produced (expiries it
 * triggered come first), at `revision`. The same function serves a fresh decision and a redelivered
 * command, so a re-published outcome is the one first published.
 */
export const outcomeFromEvent = (ctx: Ctx, event: SkuEvent, revision: number): Outcome => {
  switch (event.type) {
    case "ReservationPlaced":
      return accepted(ctx, event.data.userId, revision, {
        kind: "reserved",
        reservationId: event.data.reservationId,
        quantity: event.data.quantity,
        expiresAt: event.data.expiresAt,
      });
    case "ReservationRejected":
      return refused(ctx, event.data.userId, revision, event.data.reason, rejectionDetail[event.data.reason]);
    case "SkuListed":
      return accepted(ctx, null, revision, { kind: "listed" });
    case "StockAdded":
      return accepted(ctx, null, revision, { kind: "stock-added", stock: event.data.stock });
    case "SaleClosed":
      return accepted(ctx, null, revision, { kind: "closed" });
    case "ReservationCancelled":
      return accepted(ctx, event.data.userId, revision, {
        kind: "cancelled",
        reservationId: event.data.reservationId,
      });
    case "OrderPlaced":
      return accepted(ctx, event.data.userId, revision, {
        kind: "order-placed",
        orderId: event.data.orderId,
        reservationId: event.data.reservationId,
      });
    case "ReservationExpired":
    case "PaymentSucceeded":
    case "PaymentFailed":
    case "PaymentUnresolved":
      return accepted(ctx, null, revision, { kind: "done" });
    default:
      return absurd(event);
  }
};

const rejectionDetail: Record<RejectionReasonOfEvent, string> = {
  "sold-out": "no units are left",
  "insufficient-stock": "fewer units are left than requested",
  "limit-exceeded": "this would exceed the per-shopper limit",
  "sale-not-open": "the sale has not started",
  "sale-closed": "the sale is closed",
};

/**
 * The outcome of a command refused without events. `RequestAlreadyDecided` never reaches here: the
 * handler re-publishes the recorded outcome instead.
 */
export const outcomeFromError = (
  ctx: Ctx,
  error: Exclude<DomainError, { _tag: "RequestAlreadyDecided" }>,
  userId: string | null,
  tipRevision: number | null,
): Outcome => {
  switch (error._tag) {
    case "SkuNotListed":
      return refused(ctx, userId, tipRevision, "unknown-sku", `no SKU ${ctx.skuId} is listed`);
    case "SkuAlreadyListed":
      return refused(ctx, userId, tipRevision, "sku-exists", `SKU ${ctx.skuId} is already listed`);
    case "ReservationNotFound":
      return refused(ctx, userId, tipRevision, "not-found", `no reservation ${error.reservationId}`);
    case "NotReservationOwner":
      return refused(
        ctx,
        userId,
        tipRevision,
        "forbidden",
        `reservation ${error.reservationId} is not yours`,
      );
    case "HoldNotActive":
      return refused(
        ctx,
        userId,
        tipRevision,
        "hold-not-active",
        `reservation ${error.reservationId} is not held`,
      );
    case "OrderNotFound":
      return refused(ctx, userId, tipRevision, "not-found", `no order ${error.orderId}`);
    case "PaymentAlreadySettled":
      return refused(
        ctx,
        userId,
        tipRevision,
        "payment-already-settled",
        `order ${error.orderId} is settled`,
      );
    default:
      return absurd(error);
  }
};
