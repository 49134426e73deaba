import { absurd } from "fp-ts/lib/function.js";
import type { SkuEvent, SkuEventOf } from "../../event-schemas/index.ts";
import { emptyHoldQueue, type HoldQueue } from "./hold-queue.ts";
import { formatInstant, parseInstant } from "./instant.ts";
import { VersionedMap } from "./versioned-map.ts";

/**
 * The state of one SKU, as folded from its stream. A tagged union: `Unlisted` until `SkuListed`.
 *
 * Ownership: a state handed out by this module is never changed again. Internally, `decideBatch` and
 * `foldEvents` fork a state once (O(1): the maps are versioned, see `versioned-map.ts`; the hold queue is a
 * shared-array window, see `hold-queue.ts`) and mutate the fork until they return it. Callers must treat
 * every field as read-only and use the queries in `queries.ts` rather than the fields.
 */
export type SkuState = UnlistedState | ListedState;

export interface UnlistedState {
  readonly _tag: "Unlisted";
}

/** What `SkuListed` fixed: the terms of the sale. */
export type SkuTerms = SkuEventOf<"SkuListed">["data"];

/** "rejected" is internal: a rejected request's id is kept only so that a replay of it is recognised. */
export type ReservationStatus =
  | "held"
  | "cancelled"
  | "expired"
  | "ordered"
  | "sold"
  | "released"
  | "rejected";

export interface Reservation {
  readonly reservationId: string;
  readonly userId: string;
  readonly quantity: number;
  readonly status: ReservationStatus;
  readonly expiresAt: string;
  readonly expiresAtMs: number;
  readonly orderId: string | null;
}

export type OrderStatus = "pending_payment" | "confirmed" | "payment_failed" | "payment_unresolved";

export interface Order {
  readonly orderId: string;
  readonly reservationId: string;
  readonly userId: string;
  readonly quantity: number;
  readonly amountCents: number;
  readonly currency: string;
  readonly status: OrderStatus;
}

export interface ListedState {
  readonly _tag: "Listed";
  readonly terms: SkuTerms;
  /** Epoch milliseconds of the sale window (null: unbounded). */
  readonly saleStartsAtMs: number | null;
  readonly saleEndsAtMs: number | null;
  readonly closed: boolean;
  /** Total units ever put on sale (listing + restocks). available = stock - held - sold. */
  readonly stock: number;
  /** Units in live holds plus units of orders whose payment is pending or unresolved. */
  readonly held: number;
  readonly sold: number;
  readonly reservations: VersionedMap<string, Reservation>;
  readonly orders: VersionedMap<string, Order>;
  /** Per shopper: held + ordered + sold units, what the per-user limit is checked against. */
  readonly usage: VersionedMap<string, number>;
  /** requestId → the last event its decision produced (the answer; expiries it triggered come before). */
  readonly decided: VersionedMap<string, SkuEvent>;
  /** Holds with status "held", by deadline (lazily pruned). */
  readonly holds: HoldQueue;
}

export const initialState: SkuState = { _tag: "Unlisted" };

/** The internal, writable view of a listed state (only on a fork you own). */
export type WorkingListed = { -readonly [K in keyof ListedState]: ListedState[K] };

export const freshListed = (terms: SkuTerms): WorkingListed => ({
  _tag: "Listed",
  terms,
  saleStartsAtMs: terms.saleStartsAt === null ? null : Date.parse(terms.saleStartsAt),
  saleEndsAtMs: terms.saleEndsAt === null ? null : Date.parse(terms.saleEndsAt),
  closed: false,
  stock: terms.stock,
  held: 0,
  sold: 0,
  reservations: VersionedMap.empty(),
  orders: VersionedMap.empty(),
  usage: VersionedMap.empty(),
  decided: VersionedMap.empty(),
  holds: emptyHoldQueue(),
});

/** A private copy of `state` to mutate: O(1), shares everything with `state`, which stays unchanged. */
export const forkState = (state: SkuState): SkuState => {
  switch (state._tag) {
    case "Unlisted":
      return state; // immutable: evolving it always builds a new Listed state
    case "Listed":
      return {
        ...state,
        reservations: state.reservations.fork(),
        orders: state.orders.fork(),
        usage: state.usage.fork(),
        decided: state.decided.fork(),
      };
    default:
      return absurd(state);
  }
};

// One-entry memos of the two conversions below: every command of a chunk carries the same `now`, and
// every hold placed in it the same deadline, so consecutive calls nearly always repeat the last one.
// Deterministic (the same argument always gives the same answer), so the functions stay pure.
let parsedIso = "";
let parsedMs = 0;
let formattedMs = Number.NaN;
let formattedIso = "";

/**
 * Parse an ISO instant from a command or event; a bad one is a bug of the caller (commands and events
 * are decoded upstream).
 */
export const instantMs = (iso: string): number => {
  if (iso === parsedIso) return parsedMs;
  const ms = parseInstant(iso);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO instant: ${iso}`);
  parsedIso = iso;
  parsedMs = ms;
  return ms;
};

/** `instantMs` backwards. Repeats of the last instant share its text (one string, not one per hold). */
export const isoOf = (ms: number): string => {
  if (ms === formattedMs) return formattedIso;
  formattedIso = formatInstant(ms);
  formattedMs = ms;
  return formattedIso;
};
