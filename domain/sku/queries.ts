import { type SaleStatus, type SkuEvent, saleStatusAt } from "../../event-schemas/index.ts";
import { instantMs, type ListedState, type Order, type SkuState } from "./state.ts";

export interface Availability {
  readonly total: number;
  readonly available: number;
  readonly held: number;
  readonly sold: number;
  readonly status: SaleStatus;
}

/**
 * Stock figures as decided so far (holds past their deadline count as held until an expiry is decided),
 * and the sale's status at `now`. `undefined` before the SKU is listed.
 */
export const availabilityOf = (state: SkuState, now: string): Availability | undefined => {
  if (state._tag !== "Listed") return undefined;
  const available = state.stock - state.held - state.sold;
  const status = saleStatusAt(
    {
      closed: state.closed,
      saleStartsAtMs: state.saleStartsAtMs,
      saleEndsAtMs: state.saleEndsAtMs,
      available,
    },
    instantMs(now),
  );
  return { total: state.stock, available, held: state.held, sold: state.sold, status };
};

export type PublicReservationStatus = "held" | "cancelled" | "expired" | "ordered" | "sold" | "released";

export interface ReservationView {
  readonly reservationId: string;
  readonly userId: string;
  readonly quantity: number;
  readonly status: PublicReservationStatus;
  readonly expiresAt: string;
  readonly orderId: string | null;
}

/** A reservation that was placed (rejected requests have none). */
export const reservationOf = (state: SkuState, reservationId: string): ReservationView | undefined => {
  if (state._tag !== "Listed") return undefined;
  const r = state.reservations.get(reservationId);
  if (r === undefined || r.status === "rejected") return undefined;
  const { reservationId: id, userId, quantity, status, expiresAt, orderId } = r;
  return { reservationId: id, userId, quantity, status, expiresAt, orderId };
};

export const orderOf = (state: SkuState, orderId: string): Order | undefined =>
  state._tag === "Listed" ? state.orders.get(orderId) : undefined;

const firstLiveHold = (state: ListedState) => {
  const { arr, head, len } = state.holds;
  for (let i = head; i < len; i++) {
    const r = state.reservations.get(arr[i]!.reservationId);
    if (r !== undefined && r.status === "held") return r;
  }
  return undefined;
};

/** The earliest deadline among holds that can still expire (orders pending payment never expire). */
export const nextHoldDeadline = (state: SkuState): string | null =>
  state._tag === "Listed" ? (firstLiveHold(state)?.expiresAt ?? null) : null;

/** Units a shopper has held, ordered or bought (what the per-user limit counts). */
export const usageOf = (state: SkuState, userId: string): number =>
  state._tag === "Listed" ? (state.usage.get(userId) ?? 0) : 0;

/**
 * The event that answered a decided request (its last: expiries it triggered come before), or
 * `undefined` if the request produced no event (never seen, refused, or nothing to do). Use it to
 * re-publish the recorded outcome when `decide` says `RequestAlreadyDecided`.
 */
export const requestOutcomeOf = (state: SkuState, requestId: string): SkuEvent | undefined =>
  state._tag === "Listed" ? state.decided.get(requestId) : undefined;

export const isRequestDecided = (state: SkuState, requestId: string): boolean =>
  requestOutcomeOf(state, requestId) !== undefined;

/**
 * Everything observable about a state as plain data (O(n)): for the auditor to compare a replay with a
 * recorded state, and for tests.
 */
export const snapshotOf = (state: SkuState) => {
  if (state._tag === "Unlisted") return { _tag: "Unlisted" as const };
  return {
    _tag: "Listed" as const,
    terms: state.terms,
    closed: state.closed,
    stock: state.stock,
    held: state.held,
    sold: state.sold,
    reservations: Object.fromEntries(state.reservations.toMap()),
    orders: Object.fromEntries(state.orders.toMap()),
    usage: Object.fromEntries([...state.usage.toMap()].filter(([, n]) => n !== 0)),
    decided: Object.fromEntries(state.decided.toMap()),
    nextHoldDeadline: nextHoldDeadline(state),
  };
};
