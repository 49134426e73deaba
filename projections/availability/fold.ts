import { type SkuEvent, skuIdOf } from "../../event-schemas/index.ts";
import type { ProjectedEvent } from "../runtime/projection.ts";
import { type AvailabilityOp, type AvailabilityWrites, writeAvailability } from "./evolve.ts";

/** The ops of one SKU's events in a batch, merged: what they do together, applied as one. */
export interface SkuGroup {
  readonly s: string;
  /** First and last stream revision of the SKU's events in the batch. */
  readonly r0: number;
  readonly r1: number;
  readonly o: ReadonlyArray<AvailabilityOp>;
}

/** A field of the SKU hash as the batch leaves it: its last value, or the sum of its increments. */
interface FieldChange {
  set: boolean;
  value: string;
  delta: number;
}

/** One SKU's writes in a batch, merged as they come (`mergeBySku`'s rules). */
class SkuFold implements AvailabilityWrites {
  r1: number;
  readonly fields = new Map<string, FieldChange>();
  /** Per reservation its fields' last values, as `[field, value, field, value, …]` in first-set order. */
  readonly reservations = new Map<string, string[]>();
  constructor(
    readonly s: string,
    readonly r0: number,
  ) {
    this.r1 = r0;
  }
  set(field: string, value: string) {
    const c = this.fields.get(field);
    if (c === undefined) this.fields.set(field, { set: true, value, delta: 0 });
    else {
      c.set = true;
      c.value = value;
    }
  }
  incr(field: string, delta: number) {
    const c = this.fields.get(field);
    if (c === undefined) this.fields.set(field, { set: false, value: "", delta });
    else if (c.set) c.value = String(Number(c.value) + delta);
    else c.delta += delta;
  }
  res(id: string, ...pairs: string[]) {
    const fields = this.reservations.get(id);
    if (fields === undefined) {
      this.reservations.set(id, pairs);
      return;
    }
    next: for (let i = 0; i < pairs.length; i += 2) {
      for (let j = 0; j < fields.length; j += 2)
        if (fields[j] === pairs[i]) {
          fields[j + 1] = pairs[i + 1] as string;
          continue next;
        }
      fields.push(pairs[i] as string, pairs[i + 1] as string);
    }
  }
}

/**
 * A batch's events folded per SKU straight into the merged groups the apply script takes: the very
 * result of `mergeBySku` over each event's `availabilityOps` (same groups, fields and order;
 * `fold.test.ts` checks it on random batches), without the per-event op arrays and their merge, which
 * were a fifth of a rebuild's CPU. Events of a SKU in stream order, as the feed delivers them.
 */
export const foldBySku = (events: ReadonlyArray<SkuRevisionEvent>): SkuGroup[] => {
  const groups = new Map<string, SkuFold>();
  for (const e of events) {
    let g = groups.get(e.s);
    if (g === undefined) {
      g = new SkuFold(e.s, e.r);
      groups.set(e.s, g);
    }
    g.r1 = e.r;
    writeAvailability(e.event, e.r, g);
  }
  const out: SkuGroup[] = [];
  for (const g of groups.values()) {
    const o: AvailabilityOp[] = [];
    for (const [field, c] of g.fields) o.push(c.set ? ["set", field, c.value] : ["incr", field, c.delta]);
    for (const [id, fields] of g.reservations) o.push(["res", id, ...fields]);
    out.push({ s: g.s, r0: g.r0, r1: g.r1, o });
  }
  return out;
};

/** A SKU stream's event as the fold takes it: the SKU, the event's revision, the event. */
export interface SkuRevisionEvent {
  readonly s: string;
  readonly r: number;
  readonly event: SkuEvent;
}

/** A batch's events of SKU streams (events of other streams have no place in this view), in feed order. */
export const skuEventsOf = (events: ReadonlyArray<ProjectedEvent>): SkuRevisionEvent[] => {
  const out: SkuRevisionEvent[] = [];
  for (const e of events) {
    const skuId = skuIdOf(e.envelope.streamId);
    if (skuId !== undefined) out.push({ s: skuId, r: e.envelope.revision, event: e.event });
  }
  return out;
};

/**
 * The merged apply script's batch argument (redis.ts, `APPLY_MERGED`'s ARGV[4]) for a batch of events:
 * a pure function of the events, so a rebuild can compute it on a worker thread (projections/rebuild/).
 */
export const mergedBatchText = (events: ReadonlyArray<ProjectedEvent>): string =>
  JSON.stringify(foldBySku(skuEventsOf(events)));
