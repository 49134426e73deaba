import * as t from "io-ts";
import {
  Cents,
  Count,
  Currency,
  HoldSeconds,
  Identifier,
  IsoInstant,
  PerUserLimit,
  Quantity,
  Tag,
  Uuid,
} from "../primitives.ts";

/**
 * The events of one SKU stream (`sku-<skuId>`), at their current schema versions. Older versions live in
 * `upcasters.ts` and are lifted to these on read; the stored bytes are never rewritten.
 */

export const RejectionReason = t.keyof({
  "sold-out": null,
  "insufficient-stock": null,
  "limit-exceeded": null,
  "sale-not-open": null,
  "sale-closed": null,
});
export type RejectionReason = t.TypeOf<typeof RejectionReason>;

export const SkuListedData = t.type({
  skuId: Identifier,
  name: t.string,
  description: t.string,
  priceCents: Cents,
  currency: Currency,
  stock: Count,
  perUserLimit: PerUserLimit,
  holdSeconds: HoldSeconds,
  saleStartsAt: t.union([IsoInstant, t.null]),
  saleEndsAt: t.union([IsoInstant, t.null]),
  tags: t.readonlyArray(Tag),
});

/** `stock` is the SKU's total stock after the addition. */
export const StockAddedData = t.type({ quantity: Quantity, stock: Count });

export const SaleClosedData = t.type({});

/**
 * A hold. `quantityRequested` and `allowPartial` record the request, so the decision can be replayed;
 * `quantity` is what was allocated (less than requested only under `allowPartial`).
 */
export const ReservationPlacedData = t.type({
  reservationId: Uuid,
  userId: Identifier,
  quantityRequested: Quantity,
  quantity: Quantity,
  allowPartial: t.boolean,
  expiresAt: IsoInstant,
});

/** A refused reservation request, with the request's terms and the reason. */
export const ReservationRejectedData = t.type({
  reservationId: Uuid,
  userId: Identifier,
  quantityRequested: Quantity,
  allowPartial: t.boolean,
  reason: RejectionReason,
});

export const ReservationCancelledData = t.type({
  reservationId: Uuid,
  userId: Identifier,
  quantity: Quantity,
});

export const ReservationExpiredData = t.type({
  reservationId: Uuid,
  userId: Identifier,
  quantity: Quantity,
  expiresAt: IsoInstant,
});

/** Checkout: the hold becomes an order pending payment; the units stay held until payment settles. */
export const OrderPlacedData = t.type({
  orderId: Uuid,
  reservationId: Uuid,
  userId: Identifier,
  quantity: Quantity,
  amountCents: Cents,
  currency: Currency,
  paymentToken: t.string,
});

/** The units of the order are sold. */
export const PaymentSucceededData = t.type({
  orderId: Uuid,
  reservationId: Uuid,
  quantity: Quantity,
  paymentId: t.string,
});

/** The units of the order are released back to stock. */
export const PaymentFailedData = t.type({
  orderId: Uuid,
  reservationId: Uuid,
  quantity: Quantity,
  reason: t.string,
});

/** The outcome is unknown (the shopper may have paid): the units stay held and the order is flagged. */
export const PaymentUnresolvedData = t.type({
  orderId: Uuid,
  reservationId: Uuid,
  reason: t.string,
});

/** Current schema version of each event type. */
export const currentVersions = {
  SkuListed: 1,
  StockAdded: 1,
  SaleClosed: 1,
  ReservationPlaced: 2,
  ReservationRejected: 1,
  ReservationCancelled: 1,
  ReservationExpired: 1,
  OrderPlaced: 1,
  PaymentSucceeded: 1,
  PaymentFailed: 1,
  PaymentUnresolved: 1,
} as const;
export type SkuEventType = keyof typeof currentVersions;

const ev = <T extends SkuEventType, C extends t.Mixed>(type: T, data: C) =>
  t.type({ type: t.literal(type), data });

export const SkuListed = ev("SkuListed", SkuListedData);
export const StockAdded = ev("StockAdded", StockAddedData);
export const SaleClosed = ev("SaleClosed", SaleClosedData);
export const ReservationPlaced = ev("ReservationPlaced", ReservationPlacedData);
export const ReservationRejected = ev("ReservationRejected", ReservationRejectedData);
export const ReservationCancelled = ev("ReservationCancelled", ReservationCancelledData);
export const ReservationExpired = ev("ReservationExpired", ReservationExpiredData);
export const OrderPlaced = ev("OrderPlaced", OrderPlacedData);
export const PaymentSucceeded = ev("PaymentSucceeded", PaymentSucceededData);
export const PaymentFailed = ev("PaymentFailed", PaymentFailedData);
export const PaymentUnresolved = ev("PaymentUnresolved", PaymentUnresolvedData);

/** A SKU event as the domain sees it: its type and its (current-version) data. */
export const SkuEvent = t.union([
  SkuListed,
  StockAdded,
  SaleClosed,
  ReservationPlaced,
  ReservationRejected,
  ReservationCancelled,
  ReservationExpired,
  OrderPlaced,
  PaymentSucceeded,
  PaymentFailed,
  PaymentUnresolved,
]);
export type SkuEvent = t.TypeOf<typeof SkuEvent>;
export type SkuEventOf<T extends SkuEventType> = Extract<SkuEvent, { type: T }>;

export const dataCodecs: { readonly [K in SkuEventType]: t.Mixed } = {
  SkuListed: SkuListedData,
  StockAdded: StockAddedData,
  SaleClosed: SaleClosedData,
  ReservationPlaced: ReservationPlacedData,
  ReservationRejected: ReservationRejectedData,
  ReservationCancelled: ReservationCancelledData,
  ReservationExpired: ReservationExpiredData,
  OrderPlaced: OrderPlacedData,
  PaymentSucceeded: PaymentSucceededData,
  PaymentFailed: PaymentFailedData,
  PaymentUnresolved: PaymentUnresolvedData,
};

export const isSkuEventType = (s: string): s is SkuEventType => Object.hasOwn(currentVersions, s);
