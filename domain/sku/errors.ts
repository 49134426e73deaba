/**
 * Why a command was refused without any event. Reservation requests are never refused this way: a
 * request that cannot be served is answered with a `ReservationRejected` event (so an auditor can replay
 * it). HTTP mapping (done once, in the write side): SkuNotListed 404 unknown-sku, SkuAlreadyListed 409
 * sku-exists, ReservationNotFound 404, NotReservationOwner 403, HoldNotActive 409 hold-not-active,
 * OrderNotFound 404, PaymentAlreadySettled 409, RequestAlreadyDecided: re-publish the recorded outcome
 * (`requestOutcomeOf`).
 */
export type DomainError =
  | { readonly _tag: "SkuNotListed" }
  | { readonly _tag: "SkuAlreadyListed" }
  | { readonly _tag: "ReservationNotFound"; readonly reservationId: string }
  | { readonly _tag: "NotReservationOwner"; readonly reservationId: string }
  | { readonly _tag: "HoldNotActive"; readonly reservationId: string }
  | { readonly _tag: "OrderNotFound"; readonly orderId: string }
  | { readonly _tag: "PaymentAlreadySettled"; readonly orderId: string }
  | { readonly _tag: "RequestAlreadyDecided"; readonly requestId: string };

export type DomainErrorTag = DomainError["_tag"];
