import type { ProjectedEvent } from "../runtime/projection.ts";

/**
 * The effect of a batch of events on the order views, folded in memory so a batch of thousands of events
 * becomes a handful of set-based statements. Rows first seen in the batch are complete inserts; rows
 * that already exist get updates. The caller passes only the events that pass the revision guard.
 */
export interface ReservationRow {
  reservationId: string;
  skuId: string;
  userId: string;
  quantity: number;
  status: string;
  expiresAt: string;
  orderId: string | null;
  createdAt: string;
  updatedAt: string;
  revision: number;
}
export interface OrderRow {
  orderId: string;
  reservationId: string;
  skuId: string;
  userId: string;
  quantity: number;
  amountCents: number;
  currency: string;
  status: string;
  createdAt: string;
  updatedAt: string;
  revision: number;
}
export interface StatusUpdate {
  status: string;
  orderId: string | null;
  updatedAt: string;
  revision: number;
}
export interface SkuRow {
  skuId: string;
  name: string;
  priceCents: number;
  currency: string;
  stock: number;
  closed: boolean;
}
export interface SkuUpdate {
  stock: number | null;
  closed: boolean | null;
}

export interface OrdersDelta {
  readonly newSkus: Map<string, SkuRow>;
  readonly skuUpdates: Map<string, SkuUpdate>;
  readonly newReservations: Map<string, ReservationRow>;
  readonly reservationUpdates: Map<string, StatusUpdate>;
  readonly newOrders: Map<string, OrderRow>;
  readonly orderUpdates: Map<string, StatusUpdate>;
  /** Orders confirmed by this batch: their units and amounts go to the per-SKU sales. */
  readonly confirmedOrders: string[];
  readonly failedOrders: Map<string, number>;
  readonly streamRevisions: Map<string, number>;
}

export const emptyDelta = (): OrdersDelta => ({
  newSkus: new Map(),
  skuUpdates: new Map(),
  newReservations: new Map(),
  reservationUpdates: new Map(),
  newOrders: new Map(),
  orderUpdates: new Map(),
  confirmedOrders: [],
  failedOrders: new Map(),
  streamRevisions: new Map(),
});

const setStatus = (
  news: Map<string, { status: string; updatedAt: string; revision: number; orderId?: string | null }>,
  updates: Map<string, StatusUpdate>,
  id: string,
  status: string,
  at: string,
  revision: number,
  orderId: string | null = null,
) => {
  const row = news.get(id);
  if (row !== undefined) {
    row.status = status;
    row.updatedAt = at;
    row.revision = revision;
    if (orderId !== null && "orderId" in row) row.orderId = orderId;
    return;
  }
  const prev = updates.get(id);
  updates.set(id, { status, orderId: orderId ?? prev?.orderId ?? null, updatedAt: at, revision });
};

export const foldOrders = (delta: OrdersDelta, e: ProjectedEvent): void => {
  const { envelope } = e;
  const skuId = envelope.streamId.slice(4);
  const at = envelope.occurredAt;
  const rev = envelope.revision;
  delta.streamRevisions.set(envelope.streamId, rev);
  const ev = e.event;
  switch (ev.type) {
    case "SkuListed":
      delta.newSkus.set(skuId, {
        skuId,
        name: ev.data.name,
        priceCents: ev.data.priceCents,
        currency: ev.data.currency,
        stock: ev.data.stock,
        closed: false,
      });
      return;
    case "StockAdded":
    case "SaleClosed": {
      const stock = ev.type === "StockAdded" ? ev.data.stock : null;
      const closed = ev.type === "SaleClosed" ? true : null;
      const row = delta.newSkus.get(skuId);
      if (row !== undefined) {
        if (stock !== null) row.stock = stock;
        if (closed !== null) row.closed = closed;
        return;
      }
      const prev = delta.skuUpdates.get(skuId) ?? { stock: null, closed: null };
      delta.skuUpdates.set(skuId, { stock: stock ?? prev.stock, closed: closed ?? prev.closed });
      return;
    }
    case "ReservationPlaced":
      delta.newReservations.set(ev.data.reservationId, {
        reservationId: ev.data.reservationId,
        skuId,
        userId: ev.data.userId,
        quantity: ev.data.quantity,
        status: "held",
        expiresAt: ev.data.expiresAt,
        orderId: null,
        createdAt: at,
        updatedAt: at,
        revision: rev,
      });
      return;
    case "ReservationRejected":
      return;
    case "ReservationCancelled":
      setStatus(delta.newReservations, delta.reservationUpdates, ev.data.reservationId, "cancelled", at, rev);
      return;
    case "ReservationExpired":
      setStatus(delta.newReservations, delta.reservationUpdates, ev.data.reservationId, "expired", at, rev);
      return;
    case "OrderPlaced":
      setStatus(
        delta.newReservations,
        delta.reservationUpdates,
        ev.data.reservationId,
        "ordered",
        at,
        rev,
        ev.data.orderId,
      );
      delta.newOrders.set(ev.data.orderId, {
        orderId: ev.data.orderId,
        reservationId: ev.data.reservationId,
        skuId,
        userId: ev.data.userId,
        quantity: ev.data.quantity,
        amountCents: ev.data.amountCents,
        currency: ev.data.currency,
        status: "pending_payment",
        createdAt: at,
        updatedAt: at,
        revision: rev,
      });
      return;
    case "PaymentSucceeded":
      setStatus(delta.newReservations, delta.reservationUpdates, ev.data.reservationId, "sold", at, rev);
      setStatus(delta.newOrders, delta.orderUpdates, ev.data.orderId, "confirmed", at, rev);
      delta.confirmedOrders.push(ev.data.orderId);
      return;
    case "PaymentFailed":
      setStatus(delta.newReservations, delta.reservationUpdates, ev.data.reservationId, "released", at, rev);
      setStatus(delta.newOrders, delta.orderUpdates, ev.data.orderId, "payment_failed", at, rev);
      delta.failedOrders.set(skuId, (delta.failedOrders.get(skuId) ?? 0) + 1);
      return;
    case "PaymentUnresolved":
      setStatus(delta.newOrders, delta.orderUpdates, ev.data.orderId, "payment_unresolved", at, rev);
      return;
    default: {
      const never: never = ev;
      throw new Error(`unhandled event ${JSON.stringify(never)}`);
    }
  }
};
