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
 * Commands to one SKU, imperative. A command's body says what is asked; `SkuCommand` adds what the
 * decider needs from outside (the request id it answers, and the clock reading `now`), because
 * `domain/` reads no clock and makes no ids.
 */

export const ListSku = t.type({
  type: t.literal("ListSku"),
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

export const AddStock = t.type({ type: t.literal("AddStock"), quantity: Quantity });

export const CloseSale = t.type({ type: t.literal("CloseSale") });

export const PlaceReservation = t.type({
  type: t.literal("PlaceReservation"),
  reservationId: Uuid,
  userId: Identifier,
  quantity: Quantity,
  allowPartial: t.boolean,
});

export const CancelReservation = t.type({
  type: t.literal("CancelReservation"),
  reservationId: Uuid,
  userId: Identifier,
});

/** Expire every hold past its deadline at `now` (the scheduler and the sweeper send it). */
export const ExpireHolds = t.type({ type: t.literal("ExpireHolds") });

export const PlaceOrder = t.type({
  type: t.literal("PlaceOrder"),
  orderId: Uuid,
  reservationId: Uuid,
  userId: Identifier,
  paymentToken: t.string,
});

export const RecordPaymentSucceeded = t.type({
  type: t.literal("RecordPaymentSucceeded"),
  orderId: Uuid,
  paymentId: t.string,
});

export const RecordPaymentFailed = t.type({
  type: t.literal("RecordPaymentFailed"),
  orderId: Uuid,
  reason: t.string,
});

export const RecordPaymentUnresolved = t.type({
  type: t.literal("RecordPaymentUnresolved"),
  orderId: Uuid,
  reason: t.string,
});

export const SkuCommandBody = t.union([
  ListSku,
  AddStock,
  CloseSale,
  PlaceReservation,
  CancelReservation,
  ExpireHolds,
  PlaceOrder,
  RecordPaymentSucceeded,
  RecordPaymentFailed,
  RecordPaymentUnresolved,
]);
export type SkuCommandBody = t.TypeOf<typeof SkuCommandBody>;
export type SkuCommandType = SkuCommandBody["type"];

/** What the decider receives: the body, the request it answers, and the time of the decision. */
export type SkuCommand = SkuCommandBody & { readonly requestId: string; readonly now: string };

/**
 * A command as it travels on the command queue (Kafka value, keyed by skuId). `replyTo` is the
 * pub/sub channel the requester listens on; `issuedAt` is when the edge accepted it.
 */
export const QueuedCommand = t.type({
  requestId: Uuid,
  skuId: Identifier,
  issuedAt: IsoInstant,
  correlationId: t.string,
  causationId: t.string,
  replyTo: t.union([t.string, t.null]),
  command: SkuCommandBody,
});
export type QueuedCommand = t.TypeOf<typeof QueuedCommand>;
