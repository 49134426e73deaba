import { randomUUID } from "node:crypto";
import * as E from "fp-ts/lib/Either.js";
import {
  type ChainTip,
  type EventEnvelope,
  type SkuEvent,
  sealEvents,
  streamIdOf,
} from "../../event-schemas/index.ts";
import { type EventStore, expectTip } from "../../infra/event-store/port.ts";

/**
 * Real sealed SKU events for projection tests and benchmarks, appended the way the writer does (hash
 * chain, expected revision). Not the domain's decisions: tests state the facts they want to project.
 */
export interface SkuScenario {
  readonly skuId: string;
  readonly streamId: string;
  /** Seal and append events; resolves with the envelopes written. */
  append(...events: SkuEvent[]): Promise<EventEnvelope[]>;
  /** Seal without appending (for batch-building benchmarks). */
  seal(...events: SkuEvent[]): EventEnvelope[];
  tip(): ChainTip | null;
}

let clock = Date.UTC(2026, 10, 21, 12, 0, 0, 0);

export const skuScenario = (store: EventStore | null, skuId: string): SkuScenario => {
  const streamId = streamIdOf(skuId);
  let tip: ChainTip | null = null;
  const seal = (...events: SkuEvent[]) => {
    const sealed = sealEvents(
      streamId,
      tip,
      events.map((event) => {
        clock += 1;
        return {
          eventId: randomUUID(),
          event,
          occurredAt: new Date(clock).toISOString(),
          requestId: randomUUID(),
          correlationId: randomUUID(),
          causationId: randomUUID(),
          queuePosition: clock,
        };
      }),
    );
    const last = sealed[sealed.length - 1];
    if (last !== undefined) tip = { revision: last.revision, hash: last.hash };
    return sealed;
  };
  return {
    skuId,
    streamId,
    seal,
    tip: () => tip,
    append: async (...events) => {
      if (store === null) throw new Error("no store");
      const before = tip;
      const sealed = seal(...events);
      const r = await store.append(streamId, expectTip(before), sealed)();
      if (E.isLeft(r)) throw new Error(`append failed: ${JSON.stringify(r.left)}`);
      return sealed;
    },
  };
};

// Event builders: the facts, with defaults a test can override.
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
export const placed = (
  reservationId: string,
  userId: string,
  quantity: number,
  expiresAt = "2026-11-21T12:02:00.000Z",
): SkuEvent => ({
  type: "ReservationPlaced",
  data: {
    reservationId,
    userId,
    quantityRequested: quantity,
    quantity,
    allowPartial: false,
    expiresAt,
  } as never,
});
export const rejected = (userId: string): SkuEvent => ({
  type: "ReservationRejected",
  data: {
    reservationId: randomUUID(),
    userId,
    quantityRequested: 1,
    allowPartial: false,
    reason: "sold-out",
  } as never,
});
export const cancelled = (reservationId: string, userId: string, quantity: number): SkuEvent => ({
  type: "ReservationCancelled",
  data: { reservationId, userId, quantity } as never,
});
export const expired = (reservationId: string, userId: string, quantity: number): SkuEvent => ({
  type: "ReservationExpired",
  data: { reservationId, userId, quantity, expiresAt: "2026-11-21T12:02:00.000Z" } as never,
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

/** Poll `check` until it returns a value other than undefined, or fail after `timeoutMs`. */
export const eventually = async <A>(
  check: () => Promise<A | undefined>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<A> => {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
