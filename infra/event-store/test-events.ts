import { randomUUID } from "node:crypto";
import {
  type ChainTip,
  type EventDraft,
  type EventEnvelope,
  type SkuEvent,
  sealEvents,
} from "../../event-schemas/index.ts";
import { listed, stockAdded } from "../../event-schemas/testing/sku-events.ts";

/**
 * Real sealed SKU events for the event-store tests and benchmark: a `SkuListed` at revision 0, then
 * `StockAdded` events. Every event is a valid `SkuEvent`, hash-chained by `sealEvents` as the writer does.
 */

const listing = (skuId: string, description = "A plain tee"): SkuEvent =>
  listed(skuId, { description, stock: 0, tags: ["tee", "cotton"] });

const draft = (event: SkuEvent, queuePosition: number): EventDraft => ({
  eventId: randomUUID(),
  event,
  occurredAt: new Date(Date.UTC(2026, 10, 21, 12, 0, 0, queuePosition % 1000)).toISOString(),
  requestId: randomUUID(),
  correlationId: randomUUID(),
  causationId: randomUUID(),
  queuePosition,
});

/** `count` events sealed onto `streamId` after `tip` (revision 0 is a `SkuListed`). */
export const sealedEvents = (streamId: string, tip: ChainTip | null, count: number): EventEnvelope[] => {
  const skuId = streamId.slice("sku-".length);
  const first = tip === null ? 0 : tip.revision + 1;
  const drafts: EventDraft[] = [];
  for (let r = first; r < first + count; r++)
    drafts.push(draft(r === 0 ? listing(skuId) : stockAdded(1, r), r));
  return sealEvents(streamId, tip, drafts);
};

/** A `SkuListed` whose stored form is larger than `bytes`. */
export const oversizeListing = (streamId: string, bytes: number): EventEnvelope[] =>
  sealEvents(streamId, null, [draft(listing(streamId.slice(4), "x".repeat(bytes)), 0)]);

/** The tip after a sealed batch, for sealing the next one. */
export const tipOf = (events: ReadonlyArray<EventEnvelope>): ChainTip => {
  const last = events[events.length - 1]!;
  return { revision: last.revision, hash: last.hash };
};

/** A stream id no other test uses. */
export const freshStream = (label = "s"): string => `sku-${label}-${randomUUID().slice(0, 8)}`;
