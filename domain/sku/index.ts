import { decide } from "./decide.ts";
import { evolve } from "./evolve.ts";
import { initialState } from "./state.ts";

export { type BatchResult, decideBatch } from "./decide-batch.ts";
export { decide } from "./decide.ts";
export type { DomainError, DomainErrorTag } from "./errors.ts";
export { evolve, type FoldInput, foldEvents, InconsistentEvent } from "./evolve.ts";
export {
  type Availability,
  availabilityOf,
  isRequestDecided,
  nextHoldDeadline,
  type OrderView,
  orderOf,
  type PublicReservationStatus,
  type ReservationView,
  requestOutcomeOf,
  reservationOf,
  type SaleStatus,
  snapshotOf,
  usageOf,
} from "./queries.ts";
export type { ListedState, OrderStatus, SkuState, SkuTerms, UnlistedState } from "./state.ts";
export { initialState } from "./state.ts";

/** The SKU decider as one value, for generic helpers (given/when/then, replays). */
export const skuDecider = { initialState, evolve, decide } as const;
