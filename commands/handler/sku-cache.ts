import * as E from "fp-ts/lib/Either.js";
import { foldEvents, type SkuState } from "../../domain/sku/index.ts";
import {
  type ChainTip,
  type DecodedEvent,
  decodeEvent,
  type Outcome,
  skuIdOf,
  streamIdOf,
} from "../../event-schemas/index.ts";
import type { EventStore, StoreError } from "../../infra/event-store/port.ts";
import { outcomeFromEvent } from "./outcomes.ts";

/**
 * Outcomes remembered per SKU for re-publishing redelivered commands (older ones fall back to the Redis
 * outcome key). A redelivery reaches back at most to the last offset commit (100 ms of decisions) plus
 * what was fetched ahead (5,000 commands), so 25,000 covers it at 25,000 commands/s with room to spare;
 * more only makes the live heap, and every major GC, larger.
 */
export const OUTCOME_MEMORY = 25_000;

/**
 * What the handler knows of one SKU: its folded state, the tip of its chain (to seal and to append with
 * the expected revision), the highest queue position it has written (a command at or below it was
 * already decided), and the recent outcomes by requestId.
 */
export interface SkuEntry {
  readonly skuId: string;
  readonly state: SkuState;
  readonly tip: ChainTip | null;
  readonly lastQueuePosition: number;
  readonly outcomes: Map<string, Outcome>;
}

/** Oldest outcomes are forgotten this many at a time (see `rememberOutcome`). */
const FORGET_BATCH = 1000;

/**
 * Remember an outcome; past `OUTCOME_MEMORY` + `FORGET_BATCH`, forget the oldest down to
 * `OUTCOME_MEMORY`. In batches because V8's Map keeps deleted entries as holes at the front of its
 * table until it is rehashed, so finding the oldest key one delete at a time (`keys().next()`) skips
 * every earlier hole: measured ~50 µs per command at 25,000 entries, most of the handler's CPU.
 */
export const rememberOutcome = (outcomes: Map<string, Outcome>, o: Outcome): void => {
  outcomes.set(o.requestId, o);
  if (outcomes.size <= OUTCOME_MEMORY + FORGET_BATCH) return;
  let excess = outcomes.size - OUTCOME_MEMORY;
  for (const key of outcomes.keys()) {
    outcomes.delete(key);
    if (--excess === 0) break;
  }
};

export type LoadError =
  | StoreError
  | { readonly _tag: "CorruptStream"; readonly streamId: string; readonly message: string };

/**
 * Rebuild a SKU from its stream: on start, and whenever an append finds the stream moved (another
 * handler wrote to it). Reads in pages so a long stream does not sit in memory twice.
 */
export const loadSku = async (store: EventStore, skuId: string): Promise<E.Either<LoadError, SkuEntry>> => {
  const streamId = streamIdOf(skuId);
  const decoded: DecodedEvent[] = [];
  const page = 5000;
  for (let from = 0; ; from += page) {
    const r = await store.readStream(streamId, { from, limit: page })();
    if (E.isLeft(r)) return r;
    for (const rec of r.right) {
      const d = decodeEvent(rec.envelope);
      if (E.isLeft(d))
        return E.left({
          _tag: "CorruptStream",
          streamId,
          message: `revision ${rec.envelope.revision}: ${d.left._tag}`,
        });
      decoded.push(d.right);
    }
    if (r.right.length < page) break;
  }
  const state = foldEvents(decoded);
  const outcomes = new Map<string, Outcome>();
  let lastQueuePosition = -1;
  // The last event of each request answers it; later events of the same request overwrite earlier ones.
  for (const { envelope, event } of decoded) {
    lastQueuePosition = Math.max(lastQueuePosition, envelope.queuePosition);
    if (outcomes.has(envelope.requestId)) outcomes.delete(envelope.requestId);
    rememberOutcome(
      outcomes,
      outcomeFromEvent(
        {
          requestId: envelope.requestId,
          skuId: skuIdOf(envelope.streamId) ?? skuId,
          decidedAt: envelope.occurredAt,
        },
        event,
        envelope.revision,
      ),
    );
  }
  const last = decoded[decoded.length - 1];
  const tip = last === undefined ? null : { revision: last.envelope.revision, hash: last.envelope.hash };
  return E.right({ skuId, state, tip, lastQueuePosition, outcomes });
};
