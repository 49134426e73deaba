import type { SkuEvent } from "../../event-schemas/index.ts";
import type { AvailabilityOp } from "./evolve.ts";
import type { SkuGroup } from "./merge.ts";

/** A field of the SKU hash as the batch leaves it: its last value, or the sum of its increments. */
interface FieldChange {
  set: boolean;
  value: string;
  delta: number;
}

interface SkuFold {
  readonly s: string;
  readonly r0: number;
  r1: number;
  readonly fields: Map<string, FieldChange>;
  /** Per reservation its fields' last values, as `[field, value, field, value, …]` in first-set order. */
  readonly res: Map<string, string[]>;
}

const set = (g: SkuFold, field: string, value: string) => {
  const c = g.fields.get(field);
  if (c === undefined) g.fields.set(field, { set: true, value, delta: 0 });
  else {
    c.set = true;
    c.value = value;
  }
};

const incr = (g: SkuFold, field: string, delta: number) => {
  const c = g.fields.get(field);
  if (c === undefined) g.fields.set(field, { set: false, value: "", delta });
  else if (c.set) c.value = String(Number(c.value) + delta);
  else c.delta += delta;
};

/** HSET on a reservation hash: `pairs` is `field, value, …`. */
const res = (g: SkuFold, id: string, ...pairs: string[]) => {
  const fields = g.res.get(id);
  if (fields === undefined) {
    g.res.set(id, pairs);
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
};

/** What one event does to its SKU's fold: `availabilityOps` (evolve.ts), applied as `mergeBySku` would. */
const foldEvent = (g: SkuFold, event: SkuEvent, revision: number) => {
  switch (event.type) {
    case "SkuListed": {
      const d = event.data;
      set(g, "total", String(d.stock));
      set(g, "held", "0");
      set(g, "sold", "0");
      set(g, "closed", "0");
      set(g, "saleStartsAt", d.saleStartsAt ?? "");
      set(g, "saleEndsAt", d.saleEndsAt ?? "");
      set(g, "name", d.name);
      set(g, "description", d.description);
      set(g, "priceCents", String(d.priceCents));
      set(g, "currency", d.currency);
      set(g, "tags", JSON.stringify(d.tags));
      return;
    }
    case "StockAdded":
      set(g, "total", String(event.data.stock));
      return;
    case "SaleClosed":
      set(g, "closed", "1");
      return;
    case "ReservationPlaced": {
      const d = event.data;
      incr(g, "held", d.quantity);
      res(
        g,
        d.reservationId,
        "userId",
        d.userId,
        "quantity",
        String(d.quantity),
        "status",
        "held",
        "expiresAt",
        d.expiresAt,
        "orderId",
        "",
        "revision",
        String(revision),
      );
      return;
    }
    case "ReservationRejected":
    case "PaymentUnresolved":
      return;
    case "ReservationCancelled":
      incr(g, "held", -event.data.quantity);
      res(g, event.data.reservationId, "status", "cancelled", "revision", String(revision));
      return;
    case "ReservationExpired":
      incr(g, "held", -event.data.quantity);
      res(g, event.data.reservationId, "status", "expired", "revision", String(revision));
      return;
    case "OrderPlaced":
      res(
        g,
        event.data.reservationId,
        "status",
        "ordered",
        "orderId",
        event.data.orderId,
        "revision",
        String(revision),
      );
      return;
    case "PaymentSucceeded":
      incr(g, "held", -event.data.quantity);
      incr(g, "sold", event.data.quantity);
      res(g, event.data.reservationId, "status", "sold", "revision", String(revision));
      return;
    case "PaymentFailed":
      incr(g, "held", -event.data.quantity);
      res(g, event.data.reservationId, "status", "released", "revision", String(revision));
      return;
    default: {
      const never: never = event;
      throw new Error(`unhandled event ${JSON.stringify(never)}`);
    }
  }
};

/**
 * A batch's events folded per SKU straight into the merged groups the apply script takes: the very
 * result of `mergeBySku` over each event's `availabilityOps` (same groups, fields and order;
 * `fold.test.ts` checks it on random batches), without the per-event op arrays and their merge, which
 * were a fifth of a rebuild's CPU. Events of a SKU in stream order, as the feed delivers them.
 */
export const foldBySku = (
  events: ReadonlyArray<{ readonly s: string; readonly r: number; readonly event: SkuEvent }>,
): SkuGroup[] => {
  const groups = new Map<string, SkuFold>();
  for (const e of events) {
    let g = groups.get(e.s);
    if (g === undefined) {
      g = { s: e.s, r0: e.r, r1: e.r, fields: new Map(), res: new Map() };
      groups.set(e.s, g);
    }
    g.r1 = e.r;
    foldEvent(g, e.event, e.r);
  }
  const out: SkuGroup[] = [];
  for (const g of groups.values()) {
    const o: AvailabilityOp[] = [];
    for (const [field, c] of g.fields) o.push(c.set ? ["set", field, c.value] : ["incr", field, c.delta]);
    for (const [id, fields] of g.res) o.push(["res", id, ...fields]);
    out.push({ s: g.s, r0: g.r0, r1: g.r1, o });
  }
  return out;
};
