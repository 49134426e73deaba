import { randomUUID } from "node:crypto";
import type { SkuEvent } from "../sku/events.ts";

/**
 * TEST FIXTURES ONLY: the events of a SKU stream as plain facts, with defaults a test can override. The
 * one set of event builders for every folder's tests (the domain's specs, the event-store contract, the
 * projections and the read API); each folder's own testing module adds what only it needs (given/when/
 * then, sealing, appending to a store).
 *
 * @example [listed("tee", { stock: 5 }), placed(reservationId, "alice", 2), cancelled(reservationId, "alice", 2)]
 */

/** The deadline the builders give a hold by default (2 minutes after 2026-11-21T12:00Z). */
export const DEFAULT_EXPIRES_AT = "2026-11-21T12:02:00.000Z";

export const listed = (
  skuId: string,
  over: Partial<Extract<SkuEvent, { type: "SkuListed" }>["data"]> = {},
): SkuEvent => ({
  type: "SkuListed",
  data: {
    skuId: skuId as never,
    name: `Tee ${skuId}`,
    description: "A plain cotton tee",
    priceCents: 2500,
    currency: "EUR",
    stock: 10,
    perUserLimit: 2,
    holdSeconds: 120,
    saleStartsAt: null,
    saleEndsAt: null,
    tags: ["tee"],
    ...over,
  } as never,
});
export const stockAdded = (quantity: number, stock: number): SkuEvent => ({
  type: "StockAdded",
  data: { quantity, stock } as never,
});
export const saleClosed = (): SkuEvent => ({ type: "SaleClosed", data: {} });
/** A hold of `quantity` units (all that was requested unless `quantityRequested` says more). */
export const placed = (
  reservationId: string,
  userId: string,
  quantity: number,
  expiresAt = DEFAULT_EXPIRES_AT,
  request: { readonly quantityRequested?: number; readonly allowPartial?: boolean } = {},
): SkuEvent => ({
  type: "ReservationPlaced",
  data: {
    reservationId,
    userId,
    quantityRequested: request.quantityRequested ?? quantity,
    quantity,
    allowPartial: request.allowPartial ?? false,
    expiresAt,
  } as never,
});
/** A refused request (default: one unit, sold out, a fresh reservation id). */
export const rejected = (
  userId: string,
  request: {
    readonly reservationId?: string;
    readonly quantityRequested?: number;
    readonly reason?: string;
    readonly allowPartial?: boolean;
  } = {},
): SkuEvent => ({
  type: "ReservationRejected",
  data: {
    reservationId: request.reservationId ?? randomUUID(),
    userId,
    quantityRequested: request.quantityRequested ?? 1,
    allowPartial: request.allowPartial ?? false,
    reason: request.reason ?? "sold-out",
  } as never,
});
export const cancelled = (reservationId: string, userId: string, quantity: number): SkuEvent => ({
  type: "ReservationCancelled",
  data: { reservationId, userId, quantity } as never,
});
export const expired = (
  reservationId: string,
  userId: string,
  quantity: number,
  expiresAt = DEFAULT_EXPIRES_AT,
): SkuEvent => ({
  type: "ReservationExpired",
  data: { reservationId, userId, quantity, expiresAt } as never,
});
export const orderPlaced = (
  orderId: string,
  reservationId: string,
  userId: string,
  quantity: number,
  amountCents: number,
): SkuEvent => ({
  type: "OrderPlaced",
  data: {
    orderId,
    reservationId,
    userId,
    quantity,
    amountCents,
    currency: "EUR",
    paymentToken: "tok",
  } as never,
});
export const paid = (orderId: string, reservationId: string, quantity: number): SkuEvent => ({
  type: "PaymentSucceeded",
  data: { orderId, reservationId, quantity, paymentId: `pay-${orderId}` } as never,
});
export const paymentFailed = (orderId: string, reservationId: string, quantity: number): SkuEvent => ({
  type: "PaymentFailed",
  data: { orderId, reservationId, quantity, reason: "declined" } as never,
});
export const unresolved = (orderId: string, reservationId: string): SkuEvent => ({
  type: "PaymentUnresolved",
  data: { orderId, reservationId, reason: "timeout" } as never,
});
