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
