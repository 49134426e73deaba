import { absurd } from "fp-ts/lib/function.js";
import type { DecodedEvent, SkuEvent } from "../../event-schemas/index.ts";
import { dropWhile, pushHold } from "./hold-queue.ts";
import {
  forkState,
  freshListed,
  instantMs,
  type Order,
  type Reservation,
  type SkuState,
  type WorkingListed,
} from "./state.ts";

/**
 * An event that cannot follow the state it is applied to (e.g. a cancel of an unknown reservation). The
 * writer never produces one, so meeting one means the stream is corrupt or the code has a bug: it is
 * thrown, not returned.
 */
export class InconsistentEvent extends Error {
  constructor(event: SkuEvent, why: string) {
    super(`${event.type} cannot apply: ${why}`);
    this.name = "InconsistentEvent";
  }
}

const reservationFor = (s: WorkingListed, event: SkuEvent, reservationId: string): Reservation => {
  const r = s.reservations.get(reservationId);
  if (r === undefined || r.status === "rejected")
    throw new InconsistentEvent(event, `no reservation ${reservationId}`);
  return r;
};

const orderFor = (s: WorkingListed, event: SkuEvent, orderId: string): Order => {
  const o = s.orders.get(orderId);
  if (o === undefined) throw new InconsistentEvent(event, `no order ${orderId}`);
  return o;
};

const addUsage = (s: WorkingListed, userId: string, delta: number): void => {
  s.usage.update(userId, (used) => (used ?? 0) + delta);
};

/** Entries at the head of the hold queue that are no longer holds are dropped, so the head is the next deadline. */
const pruneHolds = (s: WorkingListed): void => {
  s.holds = dropWhile(s.holds, (e) => s.reservations.get(e.reservationId)?.status !== "held");
};

/**
 * Apply one event IN PLACE to a state you own (a fork, see `forkState`) and return the resulting state
 * (a new object only for `SkuListed`). Internal fast path for `decideBatch` and `foldEvents`: never call
 * it on a state someone else may hold. `requestId` (from the envelope) records the request as decided.
 */
export const evolveMut = (state: SkuState, event: SkuEvent, requestId?: string): SkuState => {
  if (state._tag === "Unlisted") {
    if (event.type !== "SkuListed") throw new InconsistentEvent(event, "the SKU is not listed");
    const listed = freshListed(event.data);
    if (requestId !== undefined) listed.decided.set(requestId, event);
    return listed;
  }
  const s = state as WorkingListed;
  switch (event.type) {
    case "SkuListed":
      throw new InconsistentEvent(event, "the SKU is already listed");
    case "StockAdded":
      s.stock = event.data.stock;
      break;
    case "SaleClosed":
      s.closed = true;
      break;
    case "ReservationPlaced": {
      const d = event.data;
      const expiresAtMs = instantMs(d.expiresAt);
      s.reservations.set(d.reservationId, {
        reservationId: d.reservationId,
        userId: d.userId,
        quantity: d.quantity,
        status: "held",
        expiresAt: d.expiresAt,
        expiresAtMs,
        orderId: null,
      });
      s.held += d.quantity;
      addUsage(s, d.userId, d.quantity);
      s.holds = pushHold(s.holds, { expiresAtMs, reservationId: d.reservationId });
      break;
    }
    case "ReservationRejected": {
      const d = event.data;
      s.reservations.set(d.reservationId, {
        reservationId: d.reservationId,
        userId: d.userId,
        quantity: d.quantityRequested,
        status: "rejected",
        expiresAt: "",
        expiresAtMs: 0,
        orderId: null,
      });
      break;
    }
    case "ReservationCancelled":
    case "ReservationExpired": {
      const r = reservationFor(s, event, event.data.reservationId);
      if (r.status !== "held") throw new InconsistentEvent(event, `reservation is ${r.status}`);
      s.reservations.set(r.reservationId, {
        ...r,
        status: event.type === "ReservationCancelled" ? "cancelled" : "expired",
      });
      s.held -= r.quantity;
      addUsage(s, r.userId, -r.quantity);
      pruneHolds(s);
      break;
    }
    case "OrderPlaced": {
      const d = event.data;
      const r = reservationFor(s, event, d.reservationId);
      if (r.status !== "held") throw new InconsistentEvent(event, `reservation is ${r.status}`);
      s.reservations.set(r.reservationId, { ...r, status: "ordered", orderId: d.orderId });
      s.orders.set(d.orderId, {
        orderId: d.orderId,
        reservationId: d.reservationId,
        userId: d.userId,
        quantity: d.quantity,
        amountCents: d.amountCents,
        currency: d.currency,
        status: "pending_payment",
      });
      pruneHolds(s);
      break;
    }
    case "PaymentSucceeded":
    case "PaymentFailed": {
      const o = orderFor(s, event, event.data.orderId);
      if (o.status === "confirmed" || o.status === "payment_failed")
        throw new InconsistentEvent(event, `order is ${o.status}`);
      const r = reservationFor(s, event, o.reservationId);
      const succeeded = event.type === "PaymentSucceeded";
      s.orders.set(o.orderId, { ...o, status: succeeded ? "confirmed" : "payment_failed" });
      s.reservations.set(r.reservationId, { ...r, status: succeeded ? "sold" : "released" });
      s.held -= o.quantity;
      if (succeeded) s.sold += o.quantity;
      else addUsage(s, o.userId, -o.quantity);
      break;
    }
    case "PaymentUnresolved": {
      const o = orderFor(s, event, event.data.orderId);
      if (o.status === "confirmed" || o.status === "payment_failed")
        throw new InconsistentEvent(event, `order is ${o.status}`);
      s.orders.set(o.orderId, { ...o, status: "payment_unresolved" });
      break;
    }
    default:
      return absurd(event);
  }
  if (requestId !== undefined) s.decided.set(requestId, event);
  return s;
};

/**
 * Pure: the state after `event`; `state` is unchanged. O(1) amortised (it forks, see `state.ts`), but
 * to rebuild from many events use `foldEvents`, which forks once.
 */
export const evolve = (state: SkuState, event: SkuEvent, requestId?: string): SkuState =>
  evolveMut(forkState(state), event, requestId);

/** An event to fold: bare (no request recorded), with its requestId, or as decoded from the store. */
export type FoldInput = SkuEvent | { readonly event: SkuEvent; readonly requestId: string } | DecodedEvent;

/**
 * Rebuild a state from a stream's events (what the handler and the auditor do on start), forking `from`
 * once and applying every event in place. Pass decoded events (or `{ event, requestId }`) so the
 * requests they answered are recorded as decided.
 *
 * @example const state = foldEvents(decodedEvents) // from initialState
 */
export const foldEvents = (events: Iterable<FoldInput>, from: SkuState = { _tag: "Unlisted" }): SkuState => {
  let state = forkState(from);
  for (const input of events) {
    if ("type" in input) state = evolveMut(state, input);
    else if ("envelope" in input) state = evolveMut(state, input.event, input.envelope.requestId);
    else state = evolveMut(state, input.event, input.requestId);
  }
  return state;
};
