import { absurd } from "fp-ts/lib/function.js";
import * as E from "fp-ts/lib/Either.js";
import type { SkuCommand, SkuEvent, SkuEventOf } from "../../event-schemas/index.ts";
import type { DomainError } from "./errors.ts";
import { instantMs, isoOf, type ListedState, type Reservation, type SkuState } from "./state.ts";

type Decision = E.Either<DomainError, ReadonlyArray<SkuEvent>>;
type ReservationCommand = Extract<SkuCommand, { type: "PlaceReservation" }>;
type Expired = SkuEventOf<"ReservationExpired">;
type RejectionReason = SkuEventOf<"ReservationRejected">["data"]["reason"];

const NO_EVENTS: ReadonlyArray<SkuEvent> = [];

// Event data is written with its keys in canonical (sorted) order: the writer then hashes it without
// reordering (see event-schemas/canonical-json.ts). Any order would be correct; this one is cheaper.

const NONE_DUE: ReadonlyArray<Reservation> = [];

/** The holds past their deadline at `nowMs` (deadline reached counts as past), oldest deadline first. */
export const dueHolds = (s: ListedState, nowMs: number): ReadonlyArray<Reservation> => {
  const { arr, head, len } = s.holds;
  if (head === len || arr[head]!.expiresAtMs > nowMs) return NONE_DUE; // the usual case: nothing due
  const due: Reservation[] = [];
  for (let i = head; i < len; i++) {
    const entry = arr[i]!;
    if (entry.expiresAtMs > nowMs) break;
    const r = s.reservations.get(entry.reservationId);
    if (r !== undefined && r.status === "held") due.push(r);
  }
  return due;
};

const expiredEvent = (r: Reservation): Expired => ({
  type: "ReservationExpired",
  data: {
    expiresAt: r.expiresAt as Expired["data"]["expiresAt"],
    quantity: r.quantity,
    reservationId: r.reservationId as Expired["data"]["reservationId"],
    userId: r.userId as Expired["data"]["userId"],
  },
});

/** A hold that can still be cancelled or checked out at `nowMs`: held and before its deadline. */
const isActiveHold = (r: Reservation, nowMs: number): boolean => r.status === "held" && nowMs < r.expiresAtMs;

/** The hold a shopper acts on (cancel, checkout): it must exist, be theirs and still be active. */
const ownedActiveHold = (
  s: ListedState,
  reservationId: string,
  userId: string,
  nowMs: number,
): E.Either<DomainError, Reservation> => {
  const r = s.reservations.get(reservationId);
  if (r === undefined || r.status === "rejected")
    return E.left({ _tag: "ReservationNotFound", reservationId });
  if (r.userId !== userId) return E.left({ _tag: "NotReservationOwner", reservationId });
  if (!isActiveHold(r, nowMs)) return E.left({ _tag: "HoldNotActive", reservationId });
  return E.right(r);
};

const withExpiries = (expired: ReadonlyArray<Reservation>, events: ReadonlyArray<SkuEvent>): Decision => {
  if (expired.length === 0) return E.right(events);
  const out: SkuEvent[] = expired.map(expiredEvent);
  for (const e of events) out.push(e);
  return E.right(out);
};

const saleRefusal = (s: ListedState, nowMs: number): RejectionReason | null => {
  if (s.closed) return "sale-closed";
  if (s.saleEndsAtMs !== null && nowMs >= s.saleEndsAtMs) return "sale-closed";
  if (s.saleStartsAtMs !== null && nowMs < s.saleStartsAtMs) return "sale-not-open";
  return null;
};

const rejection = (c: ReservationCommand, reason: RejectionReason): SkuEvent => ({
  type: "ReservationRejected",
  data: {
    allowPartial: c.allowPartial,
    quantityRequested: c.quantity,
    reason,
    reservationId: c.reservationId,
    userId: c.userId,
  },
});

/**
 * Checks in order: sale window/closed, per-user limit (held + ordered + sold), stock. Under
 * `allowPartial` the allocation is min(requested, available, limit remaining) when that is >= 1.
 * `expired` are the holds this same decision expires first: their units are free again.
 */
const reserve = (
  c: ReservationCommand,
  s: ListedState,
  nowMs: number,
  expired: ReadonlyArray<Reservation>,
) => {
  let freed = 0;
  let freedForUser = 0;
  for (const r of expired) {
    freed += r.quantity;
    if (r.userId === c.userId) freedForUser += r.quantity;
  }
  const refusal = saleRefusal(s, nowMs);
  if (refusal !== null) return rejection(c, refusal);
  const limitLeft = s.terms.perUserLimit - ((s.usage.get(c.userId) ?? 0) - freedForUser);
  const available = s.stock - (s.held - freed) - s.sold;
  let quantity = c.quantity;
  if (c.allowPartial) {
    if (limitLeft < 1) return rejection(c, "limit-exceeded");
    if (available < 1) return rejection(c, "sold-out");
    quantity = Math.min(c.quantity, available, limitLeft);
  } else {
    if (c.quantity > limitLeft) return rejection(c, "limit-exceeded");
    if (available < 1) return rejection(c, "sold-out");
    if (c.quantity > available) return rejection(c, "insufficient-stock");
  }
  const placed: SkuEventOf<"ReservationPlaced"> = {
    type: "ReservationPlaced",
    data: {
      allowPartial: c.allowPartial,
      expiresAt: isoOf(nowMs + s.terms.holdSeconds * 1000) as Expired["data"]["expiresAt"],
      quantity,
      quantityRequested: c.quantity,
      reservationId: c.reservationId,
      userId: c.userId,
    },
  };
  return placed;
};

const decideListed = (c: SkuCommand, s: ListedState): Decision => {
  if (c.type === "ListSku") return E.left({ _tag: "SkuAlreadyListed" });
  const nowMs = instantMs(c.now);
  const expired = dueHolds(s, nowMs);
  switch (c.type) {
    case "AddStock":
      return withExpiries(expired, [
        { type: "StockAdded", data: { quantity: c.quantity, stock: s.stock + c.quantity } },
      ]);
    case "CloseSale":
      return withExpiries(expired, s.closed ? NO_EVENTS : [{ type: "SaleClosed", data: {} }]);
    case "ExpireHolds":
      return withExpiries(expired, NO_EVENTS);
    case "PlaceReservation":
      // A reservation id is made once per request: seeing it again means this request was decided.
      if (s.reservations.has(c.reservationId))
        return E.left({ _tag: "RequestAlreadyDecided", requestId: c.requestId });
      return withExpiries(expired, [reserve(c, s, nowMs, expired)]);
    case "CancelReservation": {
      const r = ownedActiveHold(s, c.reservationId, c.userId, nowMs);
      if (E.isLeft(r)) return r;
      return withExpiries(expired, [
        {
          type: "ReservationCancelled",
          data: { quantity: r.right.quantity, reservationId: c.reservationId, userId: c.userId },
        },
      ]);
    }
    case "PlaceOrder": {
      if (s.orders.has(c.orderId)) return E.left({ _tag: "RequestAlreadyDecided", requestId: c.requestId });
      const r = ownedActiveHold(s, c.reservationId, c.userId, nowMs);
      if (E.isLeft(r)) return r;
      return withExpiries(expired, [
        {
          type: "OrderPlaced",
          data: {
            orderId: c.orderId,
            reservationId: c.reservationId,
            userId: c.userId,
            quantity: r.right.quantity,
            amountCents: s.terms.priceCents * r.right.quantity,
            currency: s.terms.currency,
            paymentToken: c.paymentToken,
          },
        },
      ]);
    }
    case "RecordPaymentSucceeded":
    case "RecordPaymentFailed":
    case "RecordPaymentUnresolved": {
      const o = s.orders.get(c.orderId);
      if (o === undefined) return E.left({ _tag: "OrderNotFound", orderId: c.orderId });
      if (o.status === "confirmed" || o.status === "payment_failed")
        return E.left({ _tag: "PaymentAlreadySettled", orderId: c.orderId });
      const ids = { orderId: c.orderId, reservationId: o.reservationId as Expired["data"]["reservationId"] };
      const event: SkuEvent =
        c.type === "RecordPaymentSucceeded"
          ? { type: "PaymentSucceeded", data: { ...ids, quantity: o.quantity, paymentId: c.paymentId } }
          : c.type === "RecordPaymentFailed"
            ? { type: "PaymentFailed", data: { ...ids, quantity: o.quantity, reason: c.reason } }
            : { type: "PaymentUnresolved", data: { ...ids, reason: c.reason } };
      return withExpiries(expired, [event]);
    }
    default:
      return absurd(c);
  }
};

/**
 * Decide one command against `state` (pure; `state` is unchanged). Every hold past its deadline at
 * `command.now` is expired first: those `ReservationExpired` events lead the returned array. A refusal
 * (Left) carries no events at all, expiries included; the next command expires them again.
 */
export const decide = (command: SkuCommand, state: SkuState): Decision => {
  switch (state._tag) {
    case "Unlisted":
      if (command.type !== "ListSku") return E.left({ _tag: "SkuNotListed" });
      return E.right([
        {
          type: "SkuListed",
          data: {
            skuId: command.skuId,
            name: command.name,
            description: command.description,
            priceCents: command.priceCents,
            currency: command.currency,
            stock: command.stock,
            perUserLimit: command.perUserLimit,
            holdSeconds: command.holdSeconds,
            saleStartsAt: command.saleStartsAt,
            saleEndsAt: command.saleEndsAt,
            tags: command.tags,
          },
        },
      ]);
    case "Listed":
      if (state.decided.has(command.requestId))
        return E.left({ _tag: "RequestAlreadyDecided", requestId: command.requestId });
      return decideListed(command, state);
    default:
      return absurd(state);
  }
};
