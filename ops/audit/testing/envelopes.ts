import { type EventEnvelope, type SkuEvent, sealEvents } from "../../../event-schemas/index.ts";
import {
  cancelled as cancelledEvent,
  DEFAULT_EXPIRES_AT,
  listed,
  placed as placedEvent,
  rejected as rejectedEvent,
} from "../../../event-schemas/testing/sku-events.ts";
import { fixtureUuid } from "./sale.ts";

/** A step of a hand-written log: the event, when, and the queue position of its command. */
export interface Step {
  readonly event: SkuEvent;
  readonly at?: string;
  /** Events with the same queue position belong to one command (default: one command per event). */
  readonly queue?: number;
}

/** Seal hand-written events into a valid chain of stream `sku-tee` (for unit tests). */
export const sealSteps = (steps: ReadonlyArray<Step>, streamId = "sku-tee"): EventEnvelope[] =>
  sealEvents(
    streamId,
    null,
    steps.map((s, i) => {
      const queuePosition = s.queue ?? i;
      const requestId = fixtureUuid(0xa, queuePosition + 1);
      return {
        eventId: fixtureUuid(0xe, i + 1),
        event: s.event,
        occurredAt: s.at ?? "2026-11-21T12:00:00.000Z",
        requestId,
        correlationId: requestId,
        causationId: requestId,
        queuePosition,
      };
    }),
  );

export const listedEvent = (stock: number, perUserLimit = 5): SkuEvent =>
  listed("tee", { name: "Tee", description: "", priceCents: 1000, stock, perUserLimit, tags: [] });

export const rid = (n: number) => fixtureUuid(0xb, n);

export const placed = (
  n: number,
  user: string,
  quantity: number,
  requested = quantity,
  allowPartial = false,
): SkuEvent =>
  placedEvent(rid(n), user, quantity, DEFAULT_EXPIRES_AT, { quantityRequested: requested, allowPartial });

export const rejected = (
  n: number,
  user: string,
  requested: number,
  reason: string,
  allowPartial = false,
): SkuEvent =>
  rejectedEvent(user, { reservationId: rid(n), quantityRequested: requested, reason, allowPartial });

export const cancelled = (n: number, user: string, quantity: number): SkuEvent =>
  cancelledEvent(rid(n), user, quantity);
