export { type BatchResult, decideBatch } from "./decide-batch.ts";
export { decide } from "./decide.ts";
export type { DomainError, DomainErrorTag } from "./errors.ts";
export { evolve, type FoldInput, foldEvents, InconsistentEvent } from "./evolve.ts";
export {
  type Availability,
  availabilityOf,
  isRequestDecided,
  nextHoldDeadline,
  orderOf,
  type PublicReservationStatus,
  type ReservationView,
  requestOutcomeOf,
  reservationOf,
  snapshotOf,
  usageOf,
} from "./queries.ts";
export type { ListedState, Order, OrderStatus, SkuState, SkuTerms, UnlistedState } from "./state.ts";
export { initialState } from "./state.ts";
